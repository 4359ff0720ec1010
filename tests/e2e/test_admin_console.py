"""The admin console in real Chromium (issue 18): staff accounts and device pairing.

An admin adds a clerk, disables them while they are logged in elsewhere (that session can no
longer act), registers a ticket machine and pairs it by opening the QR code's link on a
portrait kiosk, which lands on the ticket machine's screen.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE, DEMO_TICKET_MACHINE_TOKEN
from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

CLERK_PASSWORD = "synthetic-pass-0042"


def _admin_page(browser: Any, live_server: str) -> Any:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ja-JP")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server}/admin/")
    page.fill("#tenant-code", DEMO_TENANT_CODE)
    page.fill("#login [name=username]", "admin")
    page.fill("#login [name=password]", DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#console")).to_be_visible()
    return page


def test_admin_adds_and_disables_a_clerk_whose_session_ends(browser: Any, live_server: str) -> None:
    page = _admin_page(browser, live_server)
    expect(page.locator("#tenant-name")).to_contain_text(DEMO_TENANT_CODE)
    form = page.locator("#staff-form")
    form.locator("[name=username]").fill("clerk9")
    form.locator("[name=display_name]").fill("窓口　試験")
    page.select_option("#role-select", "clerk")
    expect(page.locator("#role-help")).to_contain_text("窓口職員")
    form.locator("[name=password]").fill(CLERK_PASSWORD)
    form.locator("button[type=submit]").click()
    row = page.locator("#staff-table tbody tr", has_text="clerk9")
    expect(row).to_contain_text("有効")

    clerk = httpx.Client(base_url=live_server, timeout=10, trust_env=False)
    logged_in = clerk.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": "clerk9", "password": CLERK_PASSWORD},
    )
    assert logged_in.status_code == 200, logged_in.text
    assert clerk.get("/api/v1/auth/me").status_code == 200

    row.get_by_role("button", name="無効にする").click()
    expect(page.locator("#staff-table tbody tr", has_text="clerk9")).to_contain_text("無効")
    expect(page.locator("#status")).to_contain_text("1 件のログインを終了しました")
    assert clerk.get("/api/v1/auth/me").status_code == 401
    page.screenshot(path=str(ARTIFACTS / "admin-staff.png"))

    page.click("#lang")
    expect(page.locator("h1")).to_contain_text("Admin console")
    expect(page.locator("#t-devices")).to_have_text("Devices")
    page.click("#lang")
    page.context.close()


def test_admin_pairs_a_ticket_machine_by_its_qr_link(browser: Any, live_server: str) -> None:
    page = _admin_page(browser, live_server)
    page.click("#t-devices")
    page.select_option("#kind-select", "ticket_machine")
    # The places arrive with the offices (loadDevices): until then the required 設置場所 is empty
    # and the browser holds the form back, as it would for a clerk who clicks that fast.
    page.wait_for_selector("#placement-select option", state="attached")
    page.fill("#device-form [name=name]", "発券機（2F 試験）")
    page.click("#device-form button[type=submit]")
    expect(page.locator("#pairing")).to_be_visible()
    code = page.text_content("#pairing-code") or ""
    assert len(code.replace("-", "")) == 8
    qr = page.get_attribute("#pairing-qr", "src") or ""
    assert qr.startswith("data:image/svg+xml;base64,")
    link = page.get_attribute("#pairing-link", "href") or ""
    assert link.endswith(f"/pair/#code={code}")
    page.screenshot(path=str(ARTIFACTS / "admin-pairing.png"))

    kiosk_context = page.context.browser.new_context(viewport={"width": 1080, "height": 1920})
    kiosk = kiosk_context.new_page()
    kiosk.goto(link)
    kiosk.wait_for_url(f"{live_server}/ticket/**")
    expect(kiosk.get_by_role("button", name="証明書")).to_be_visible()
    assert "token" not in kiosk.url  # the token left the address bar
    kiosk.screenshot(path=str(ARTIFACTS / "admin-paired-ticket-machine.png"))
    kiosk_context.close()

    page.click("#t-staff")
    page.click("#t-devices")
    row = page.locator("#device-table tbody tr", has_text="発券機（2F 試験）")
    expect(row).to_contain_text("登録済み")
    expect(row).not_to_contain_text("なし")

    # The code was spent: pairing again with it is refused with a message.
    again = page.context.browser.new_context().new_page()
    again.goto(link)
    expect(again.locator("#status")).to_contain_text("登録できませんでした")
    again.context.close()

    # A tablet is registered at its counter: the form offers counters only, and says so.
    page.select_option("#kind-select", "tablet")
    expect(page.locator("#placement-hint")).to_contain_text("窓口を選んでください")
    expect(page.locator("#placement-select option", has_text="庁舎全体")).to_have_count(0)
    second = page.locator("#placement-select option", has_text="2番").first
    page.select_option("#placement-select", second.get_attribute("value"))
    page.fill("#device-form [name=name]", "2番窓口タブレット（試験）")
    page.click("#device-form button[type=submit]")
    tablet_row = page.locator("#device-table tbody tr", has_text="2番窓口タブレット（試験）")
    expect(tablet_row).to_contain_text("2番")
    page.screenshot(path=str(ARTIFACTS / "admin-device-placement.png"))
    page.context.close()


def test_admin_adds_a_ticket_button_and_imports_town_names(
    browser: Any, live_server: str, tmp_path: Any
) -> None:
    page = _admin_page(browser, live_server)
    page.click("#t-setup")
    office = page.locator("#offices section").first
    add_queue = office.locator("form.row-form", has=page.get_by_role("button", name="番号札を追加"))
    add_queue.locator("[name=prefix]").fill("D")
    add_queue.locator("[name=name_ja]").fill("おくやみ")
    add_queue.locator("[name=name_en]").fill("Bereavement")
    add_queue.get_by_label("表示名（韓国語）").fill("사망 신고")  # the other languages: optional
    add_queue.get_by_role("button", name="番号札を追加").click()
    expect(page.locator("#status")).to_have_text("保存しました")
    expect(page.locator("#offices input[name=name_ja][value=おくやみ]")).to_have_count(1)
    expect(page.locator("#offices input[name=name_ko][value='사망 신고']")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "admin-setup.png"), full_page=True)

    kiosk = page.context.browser.new_context(viewport={"width": 1080, "height": 1920}).new_page()
    kiosk.goto(f"{live_server}/ticket/#token={DEMO_TICKET_MACHINE_TOKEN}")
    expect(kiosk.get_by_role("button", name="おくやみ")).to_be_visible()
    kiosk.click("#languages button[data-lang='ko']")
    expect(kiosk.locator("#purposes button[data-prefix='D']")).to_contain_text("사망 신고")
    kiosk.click("#languages button[data-lang='vi']")  # left empty: the English name
    expect(kiosk.locator("#purposes button[data-prefix='D']")).to_contain_text("Bereavement")
    kiosk.context.close()

    page.click("#t-areas")
    csv_file = tmp_path / "areas.csv"
    csv_file.write_text(
        "id,name,kana\n0901,新緑台一丁目,シンリョクダイ1チョウメ\n0902,,ナシ\n", "utf-8"
    )
    page.set_input_files("#areas-file", str(csv_file))
    page.get_by_role("button", name="取り込む").click()
    expect(page.locator("#areas-result")).to_contain_text(
        "1 件を取り込みました / 1 件は取り込めませんでした"
    )
    expect(page.locator("#areas-refused li")).to_have_text(["3 行: 町字名が空"])
    page.context.close()
