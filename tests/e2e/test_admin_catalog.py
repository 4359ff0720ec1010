"""The catalog editor in real Chromium (issue 18), for a municipality of its own.

The operator creates a second municipality; its admin edits 転入届's deadline in the form, sees
the error next to the field for a bad value, saves into a draft, reads the change in words,
tries the draft on a sample household, activates it, and a clerk of that municipality gets the
new deadline from the counter's guidance API. (A tenant of its own: the demo municipality's
catalog, which the other browser tests use, stays as it is.)
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from backend.guidance.trial import HOUSEHOLDS_PATH
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE
from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

CODE = "272051"  # a valid 団体コード of a synthetic second municipality
PASSWORD = "synthetic-pass-0272"


def _login(client: httpx.Client, code: str, username: str, password: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": code, "username": username, "password": password},
    )
    assert response.status_code == 200, response.text
    return {"x-csrf-token": response.json()["csrf_token"]}


def _second_municipality(live_server: str) -> httpx.Client:
    """The new tenant, its admin (admin2) and a clerk (clerk2); returns the clerk's client."""
    operator = httpx.Client(base_url=live_server, timeout=30, trust_env=False)
    headers = _login(operator, DEMO_TENANT_CODE, "operator", DEMO_PASSWORD)
    created = operator.post(
        "/api/v1/tenants",
        json={"code": CODE, "name": "見本第二市", "admin_username": "admin2",
              "admin_password": PASSWORD},
        headers=headers,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    admin = httpx.Client(base_url=live_server, timeout=30, trust_env=False)
    headers = _login(admin, CODE, "admin2", PASSWORD)
    added = admin.post(
        "/api/v1/staff",
        json={"username": "clerk2", "role": "clerk", "password": PASSWORD},
        headers=headers,
    )
    assert added.status_code == 201, added.text
    clerk = httpx.Client(base_url=live_server, timeout=30, trust_env=False)
    clerk.headers.update(_login(clerk, CODE, "clerk2", PASSWORD))
    return clerk


def _moving_in_deadline(clerk: httpx.Client) -> str:
    household = json.loads(HOUSEHOLDS_PATH.read_text(encoding="utf-8"))["households"][0]
    visit = dict(household["visit"], tenant={"code": CODE, "name": "見本第二市"})
    guided = clerk.post("/api/v1/guidance", json={"visit": visit})
    assert guided.status_code == 200, guided.text
    notice = next(p for p in guided.json()["procedures"] if p["id"] == "moving-in-notice")
    return str(notice["deadline"])


def test_admin_edits_tries_and_activates_a_deadline_a_clerk_then_sees(
    browser: Any, live_server: str
) -> None:
    clerk = _second_municipality(live_server)
    assert _moving_in_deadline(clerk) == "2026-12-04"  # 14 days after 2026-11-20

    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{live_server}/admin/")
    page.fill("#tenant-code", CODE)
    page.fill("#login [name=username]", "admin2")
    page.fill("#login [name=password]", PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#console")).to_be_visible()

    page.click("#t-procedures")
    page.select_option("#cat-event", "moving-in")
    page.select_option("#cat-department", "shimin")
    row = page.locator("#cat-table tbody tr[data-id=moving-in-notice]")
    expect(row).to_contain_text("14日")
    page.screenshot(path=str(ARTIFACTS / "admin-catalog-browse.png"))
    row.get_by_role("button").click()
    expect(page.locator("#f-name")).to_be_focused()

    page.fill("#f-deadline-days", "十五日")
    page.keyboard.press("Enter")  # submits the form from the keyboard
    expect(page.locator("#f-deadline-days-error")).to_contain_text("整数")
    expect(page.locator("#f-deadline-days")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-deadline-days")).to_be_focused()
    page.screenshot(path=str(ARTIFACTS / "admin-catalog-field-error.png"))

    page.fill("#f-deadline-days", "15")
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text("転入届の期限を 14日 → 15日")
    expect(page.locator("#cat-changes")).to_contain_text("転入届の期限を 14日 → 15日")
    expect(page.locator("#cat-table tbody tr[data-id=moving-in-notice]")).to_contain_text("15日")

    page.select_option("#cat-household", "moving-in-family")
    page.click("#cat-try")
    changed = page.locator("#cat-trial-changed")
    expect(changed).to_contain_text("転入届（期限 2026-12-04 → 2026-12-05）")
    expect(page.locator("#cat-trial-added")).to_have_text("なし")
    expect(page.locator("#cat-trial-removed")).to_have_text("なし")
    page.locator("#cat-review").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "admin-catalog-trial.png"))

    assert _moving_in_deadline(clerk) == "2026-12-04"  # a draft changes nothing at the counter
    page.click("#cat-activate")
    expect(page.locator("#status")).to_contain_text("有効にしました")
    expect(page.locator("#cat-version option:checked")).to_contain_text("有効")
    assert _moving_in_deadline(clerk) == "2026-12-05"

    page.click("#lang")
    expect(page.locator("#t-procedures")).to_have_text("Edit procedures")
    expect(page.locator("#cat-table thead")).to_contain_text("Deadline")
    page.click("#lang")
    context.close()
