"""The case workbench in real Chromium (1366×768): find a case by ticket number, take the 入力
item of 住民記録, decide the flagged 外字, complete it, return another item with a reason, and
the counter sees the return: on the staff console's first screen, and on the visit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.platform.db import session_scope
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE
from tests.backend.backoffice.conftest import hand_off

SHOTS = Path(__file__).resolve().parents[2] / "e2e" / "artifacts"  # git-ignored


@pytest.mark.browser
def test_back_office_works_a_case_and_the_counter_sees_the_return(
    committed_db: Any, live_server: str, handoff_helpers: Any, browser: Any
) -> None:
    from playwright.sync_api import expect

    tenant_id = committed_db.tenant_id
    with session_scope(unscoped=True) as session:
        handoff_helpers.add_destination(session, tenant_id, name="feed", kind="pull")
        hand_off(session, tenant_id, "A-007 2026-11-24")
        visit_id = hand_off(session, tenant_id, "A-001 2026-11-24").id

    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = context.new_page()
        page.goto(f"{live_server}/backoffice/")
        page.fill("input[name=username]", "backoffice")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("#login button[type=submit]")
        page.wait_for_selector("#cases tbody tr")
        page.fill("#filters [name=reception]", "A-001 2026-11-24")
        page.click("#filters button[type=submit]")
        expect(page.locator("#cases tbody tr")).to_have_count(1)
        page.locator("#cases tbody tr").first.click()

        detail = page.locator("#detail")
        resident = detail.locator("table.work tr", has_text="住民記録")
        resident.get_by_role("button", name="担当する").click()
        expect(resident.locator(".chip")).to_have_text("入力")
        expect(resident).to_contain_text("期限切れ")  # 2026-12-01 has passed
        flagged = detail.locator("table.chars tbody tr", has_text="U+9AD9").first
        expect(flagged).to_contain_text("髙")
        expect(flagged.locator("td").nth(2)).to_have_text("高")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "backoffice-workbench-1366.png"))
        decide = detail.get_by_role("button", name="代替字で入力")
        for left in (2, 1, 0):  # 髙 and 𠮷 of the first member, 髙 of the second
            decide.first.click()
            expect(decide).to_have_count(left)
        resident.get_by_role("button", name="入力を終えて照合へ").click()
        resident.get_by_role("button", name="照合を終えて完了").click()
        expect(resident.locator(".chip")).to_have_text("完了")

        insurance = detail.locator("table.work tr", has_text="保険年金課")
        insurance.get_by_role("button", name="差し戻す").click()
        page.fill("#return-form [name=reason]", "保険証の写しがありません")
        page.click("#return-form button[type=submit]")
        expect(insurance.locator(".chip")).to_have_text("差戻し")
        expect(insurance).to_contain_text("保険証の写しがありません")
        detail.locator("h3", has_text="届出の内容").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "backoffice-workbench-done-1366.png"))
        page.click("#lang")  # English is there too
        expect(page.locator("h1")).to_have_text("Case workbench")
        expect(insurance.locator(".chip")).to_have_text("Returned")
        page.screenshot(path=str(SHOTS / "backoffice-workbench-en-1366.png"))
        _the_counter_sees_the_return(browser, live_server)
    finally:
        context.close()

    with httpx.Client(base_url=live_server) as counter:
        login = {"tenant_code": DEMO_TENANT_CODE, "username": "clerk", "password": DEMO_PASSWORD}
        assert counter.post("/api/v1/auth/login", json=login).status_code == 200
        items = counter.get(f"/api/v1/visits/{visit_id}/work-items").json()
        returned = [i for i in items if i["state"] == "returned"]
        assert [(i["department"], i["return_reason"]) for i in returned] == [
            ("保険年金課", "保険証の写しがありません")
        ]
        assert [c["visit_id"] for c in counter.get("/api/v1/work-items/returned").json()] == [
            visit_id
        ]


def _the_counter_sees_the_return(browser: Any, live_server: str) -> None:
    """The staff console (1366×768): 「差戻し 1 件」 with the reason on its first screen; 開く
    shows the visit's work items, 完了 and 差戻し with the reason."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ja-JP")
    try:
        staff = context.new_page()
        staff.goto(f"{live_server}/staff/")
        staff.fill("#tenant-code", DEMO_TENANT_CODE)
        staff.fill("#username", "clerk")
        staff.fill("#password", DEMO_PASSWORD)
        staff.click("#login-submit")
        staff.click("#counter-list button:has-text('1番窓口')")
        returns = staff.locator("#returns")
        expect(returns).to_be_visible()
        expect(staff.locator("#returns-count")).to_have_text("差戻し 1 件")
        (line,) = staff.locator("#returns-list li").all()
        expect(line).to_contain_text("A-001 2026-11-24")
        expect(line).to_contain_text("国民健康保険の加入（保険年金課）")
        expect(line.locator(".reason")).to_have_text("保険証の写しがありません")
        staff.screenshot(path=str(SHOTS / "console-returns-1366.png"))
        line.get_by_role("button", name="開く").click()
        work = staff.locator("#work-box")
        expect(work).to_be_visible()
        expect(work.locator("li[data-state=returned]")).to_contain_text("保険証の写しがありません")
        expect(work.locator("li[data-state=returned] .chip")).to_have_text("差戻し")
        expect(work.locator("li[data-state=done] .chip")).to_have_text("完了")
        expect(work.locator("li[data-state=received] .chip")).to_have_text("処理中")
        staff.screenshot(path=str(SHOTS / "console-returned-visit-1366.png"))
        staff.click("#work-back")
        expect(returns).to_be_visible()
    finally:
        context.close()
