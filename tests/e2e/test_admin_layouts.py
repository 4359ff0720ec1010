"""The admin console's 様式 and 連携先 tabs in real Chromium (issue 18): a municipality's own
layout is refused with its problems listed, uploaded with a background PDF, previewed (見本),
used and given back to the built-in layout; each back-office destination shows its health."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from forms.layout import BUILTIN_DIR
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_admin_console import _admin_page
from tests.forms.test_layout_upload import background_pdf

pytestmark = pytest.mark.browser


def test_admin_uploads_previews_and_uses_a_layout_of_the_municipality(
    browser: Any, live_server: str, tmp_path: Path
) -> None:
    page = _admin_page(browser, live_server)
    page.click("#t-layouts")
    row = page.locator("#layout-table tbody tr[data-form='checklist']")
    expect(row).to_contain_text("組み込みの様式")

    source = (BUILTIN_DIR / "checklist.yaml").read_text("utf-8")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(source.replace("key: totals", "key: total"), "utf-8")
    page.select_option("#layout-form-select", "checklist")
    page.set_input_files("#layout-file", str(wrong))
    page.get_by_role("button", name="下書きとして登録").click()
    expect(page.locator("#layout-errors li")).to_contain_text(["「total」はこの様式にない項目です"])

    layout, background = tmp_path / "checklist.yaml", tmp_path / "background.pdf"
    layout.write_text(source, "utf-8")
    background.write_bytes(background_pdf())
    page.select_option("#layout-form-select", "checklist")
    page.set_input_files("#layout-file", str(layout))
    page.set_input_files("#layout-background", str(background))
    page.get_by_role("button", name="下書きとして登録").click()
    expect(page.locator("#status")).to_contain_text("を下書きとして登録しました")
    version = row.locator("li[data-version]").first
    preview = version.get_by_role("link", name="見本を見る").get_attribute("href") or ""
    response = page.request.get(f"{live_server}{preview}")
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    version.get_by_role("button", name="この版を使う").click()
    expect(page.locator("#status")).to_contain_text("を使い始めました")
    expect(row.locator("td").first).to_contain_text("第")
    # 共創: the layouts in use as a signed file, imported back as a draft.
    bundle = page.request.get(f"{live_server}/api/v1/forms/layouts/bundle")
    assert bundle.ok
    (tmp_path / "layout-bundle.json").write_bytes(bundle.body())
    page.set_input_files("#layout-bundle", str(tmp_path / "layout-bundle.json"))
    page.locator("#layout-bundle-form").get_by_role("button", name="取り込む").click()
    expect(page.locator("#status")).to_have_text("1 件を下書きとして取り込みました")
    expect(row.locator("li[data-version]").first).to_contain_text("共創: 窓口デモ市（991007）")
    page.screenshot(path=str(ARTIFACTS / "admin-layouts.png"))
    # Back to the built-in layout: the shared server's demo municipality stays as it was.
    row.get_by_role("button", name="組み込みに戻す").click()
    expect(row.locator("td").first).to_have_text("組み込みの様式")

    page.click("#lang")
    expect(page.locator("#t-layouts")).to_have_text("Form layouts")
    expect(page.locator("#tab-layouts h2")).to_have_text("Form layouts")
    page.click("#lang")
    page.context.close()


FAILING = {
    "id": "d1", "name": "hook", "kind": "webhook", "enabled": True,
    "last_success_at": "2026-12-03T09:00:00Z", "last_failure_at": "2026-12-03T10:00:00Z",
    "last_failure": "HTTP 503: busy",
    "last_failure_in_words": "受信側のサーバーでエラーが起きています（HTTP 503）。",
    "pending": 2, "published": 0, "dead": 1, "delivered": 7, "expired": 0,
    "recent": [{"id": "m1", "status": "dead", "attempts": 10, "created_at": "2026-12-03T08:00:00Z",
                "delivered_at": None, "last_error": "HTTP 503: busy"}],
}  # fmt: skip


def test_admin_sees_each_destination_s_health(browser: Any, live_server: str) -> None:
    page = _admin_page(browser, live_server)
    page.click("#t-destinations")
    demo = page.locator(".destination[data-destination='rpa-csv']")
    expect(demo.locator("h3")).to_contain_text("CSV（RPA 用フォルダー）")
    expect(demo.locator("dl")).to_contain_text("送信をあきらめたもの")

    # A failing destination as the endpoint reports it (the words are tested with the backend).
    def failing(route: Any) -> None:
        route.fulfill(json=[FAILING])

    page.route("**/api/v1/outbox/destinations/health", failing)
    page.click("#t-staff")
    page.click("#t-destinations")
    hook = page.locator(".destination[data-destination='hook']")
    expect(hook.locator("h3")).to_contain_text("要確認")
    expect(hook.locator(".failure")).to_contain_text("受信側のサーバーでエラーが起きています")
    expect(hook.locator("table.recent")).to_contain_text("送信をあきらめました")
    page.screenshot(path=str(ARTIFACTS / "admin-destinations.png"))
    page.context.close()
