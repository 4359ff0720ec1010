"""Issue 18, done when: from a fresh start, an operator creates a second municipality with the
CLI, its admin logs in at /admin/, pairs a ticket machine and a tablet, imports a 町字 CSV,
edits one procedure, tries it, activates it — and a clerk of that municipality sees the change
at the counter. One Chromium test walks the whole path at 1366×768.

The server is the e2e session's (``live_system``): started the way ``make run`` starts it
(migrate a new database, seed the demo municipality, serve); the second municipality is created
beside the demo one, which the other admin tests use.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    ARTIFACTS,
    BIN,
    answer_shown_questions,
    server_env,
    settled,
    to_step,
)
from tests.e2e.test_counter_screens import Counting

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREEN = {"width": 1366, "height": 768}
CODE, NAME = "992003", "見本市"  # synthetic: a valid 団体コード (check digit 3) no town has
ADMIN, CLERK = "mihon-admin", "mihon-clerk"
ADMIN_PASSWORD, CLERK_PASSWORD = "synthetic-admin-pass-01", "synthetic-clerk-pass-02"
PROCEDURE, BEFORE = "residence-certificate", "住民票の写しの交付"
RENAMED = "住民票の写しの交付（見本市の手続き）"


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"whole-path-{name}.png"))


def create_municipality(base_url: str, database_url: str) -> str:
    """The operator's command, password on standard input: exit 0 and the tenant's id."""
    done = subprocess.run(
        [BIN / "madoguchi", "tenant", "create", "--code", CODE, "--name", NAME,
         "--admin", ADMIN, "--password-stdin"],
        input=ADMIN_PASSWORD + "\n", env=server_env(database_url, base_url),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    tenant_id = done.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{32}", tenant_id), done.stdout
    return tenant_id


def log_in_as_admin(browser: Any, base_url: str) -> Any:
    page = browser.new_context(viewport=SCREEN, locale="ja-JP").new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{base_url}/admin/")
    page.fill("#tenant-code", CODE)
    page.fill("#login [name=username]", ADMIN)
    page.fill("#login [name=password]", ADMIN_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#tenant-name")).to_have_text(f"{NAME}（{CODE}）")
    return page


def add_clerk(page: Any) -> None:
    form = page.locator("#staff-form")
    form.locator("[name=username]").fill(CLERK)
    form.locator("[name=display_name]").fill("見本　窓口")
    page.select_option("#role-select", "clerk")
    form.locator("[name=password]").fill(CLERK_PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page.locator("#staff-table tbody tr", has_text=CLERK)).to_contain_text("有効")


def saved(page: Any, path_part: str, click: Any) -> None:
    """Click, and check the admin screen's request for ``path_part`` was accepted."""
    with page.expect_response(lambda r: path_part in r.url and r.request.method == "POST") as sent:
        click()
    assert sent.value.ok, sent.value.text()


def add_queue_and_counter(page: Any) -> None:
    page.click("#t-setup")
    office = page.locator("#offices section").first
    add_queue = office.locator("form.row-form", has=page.get_by_role("button", name="番号札を追加"))
    add_queue.locator("[name=prefix]").fill("A")
    add_queue.locator("[name=name_ja]").fill("証明書")
    add_queue.locator("[name=name_en]").fill("Certificates")
    saved(page, "/queues", add_queue.get_by_role("button", name="番号札を追加").click)
    # The tab is drawn again with the new queue: only then is it offered to a new counter.
    expect(page.locator("#offices input[name=name_ja][value=証明書]")).to_have_count(1)
    add_counter = office.locator("form.row-form", has=page.get_by_role("button", name="窓口を追加"))
    add_counter.locator("[name=code]").fill("1")
    add_counter.locator("[name=name]").fill("1番窓口")
    add_counter.get_by_label("A 証明書").check()
    saved(page, "/counters", page.get_by_role("button", name="窓口を追加").click)
    expect(page.locator("#offices input[name=name][value='1番窓口']")).to_have_count(1)
    shot(page, "2-setup")


def pair(page: Any, kind: str, name: str, lands_on: str) -> Any:
    """Register a device on the admin screen and open its pairing link in a second page."""
    page.click("#t-devices")
    page.select_option("#kind-select", kind)
    page.fill("#device-form [name=name]", name)
    earlier = page.text_content("#pairing-code") or ""  # the code of a device paired before
    page.click("#device-form button[type=submit]")
    expect(page.locator("#pairing")).to_be_visible()
    expect(page.locator("#pairing-code")).not_to_have_text(earlier or "-")
    link = page.get_attribute("#pairing-link", "href") or ""
    device = page.context.browser.new_context(viewport={"width": 1080, "height": 1920}).new_page()
    device.goto(link)
    device.wait_for_url(f"**{lands_on}**")
    page.click("#t-staff")
    page.click("#t-devices")
    expect(page.locator("#device-table tbody tr", has_text=name)).to_contain_text("登録済み")
    return device


def import_areas(page: Any, folder: Path) -> None:
    page.click("#t-areas")
    csv_file = folder / "areas.csv"
    csv_file.write_text("id,name,kana\n0001,見本町一丁目,ミホンチョウ1チョウメ\n", "utf-8")
    page.set_input_files("#areas-file", str(csv_file))
    page.get_by_role("button", name="取り込む").click()
    expect(page.locator("#areas-result")).to_contain_text("1 件を取り込みました / 0 件は")


def edit_try_and_activate_one_procedure(page: Any) -> None:
    """On 「手続きの編集」: rename 住民票の写しの交付 in the form (saved into a draft), try the
    draft on the sample household that asks for a 住民票, then activate it."""
    page.click("#t-procedures")
    page.fill("#cat-search", "住民票の写し")
    row = page.locator(f"#cat-table tbody tr[data-id={PROCEDURE}]")
    expect(row).to_contain_text(BEFORE)
    row.get_by_role("button").click()
    expect(page.locator("#f-name")).to_be_focused()
    page.fill("#f-name", RENAMED)
    page.keyboard.press("Enter")  # saves into a new draft; the active version is untouched
    expect(page.locator("#status")).to_contain_text("下書きに保存しました")
    expect(page.locator(f"#cat-table tbody tr[data-id={PROCEDURE}]")).to_contain_text(RENAMED)
    page.select_option("#cat-household", "certificate-residence")
    page.click("#cat-try")
    expect(page.locator("#cat-trial-changed")).to_contain_text(f"{RENAMED} — 名称")
    expect(page.locator("#cat-trial-added")).to_have_text("なし")
    expect(page.locator("#cat-trial-removed")).to_have_text("なし")
    page.locator("#cat-review").scroll_into_view_if_needed()
    shot(page, "5-procedure-trial")
    page.click("#cat-activate")
    expect(page.locator("#status")).to_contain_text("有効にしました")
    expect(page.locator("#cat-version option:checked")).to_contain_text("有効")


def clerk_sees_the_change(browser: Any, base_url: str) -> None:
    page = browser.new_context(viewport=SCREEN, locale="ja-JP").new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base_url}/staff/")
    page.fill("#tenant-code", CODE)
    page.fill("#username", CLERK)
    page.fill("#password", CLERK_PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#pick-counter:not([hidden]), #idle:not([hidden])")
    if page.is_visible("#pick-counter"):
        page.click("#counter-list button:has-text('1番窓口')")
    page.wait_for_selector("#idle:not([hidden])")
    clerk = Counting(page)
    clerk.click("#walk-in")
    page.wait_for_selector("#visit:not([hidden])")
    settled(page, lambda: clerk.click("#events button[data-event='certificate']"))
    clerk.click("#add-member")
    clerk.type("#m-name", "見本　花子")
    clerk.type("#m-birth", "S60.4.1")
    clerk.choose("#m-sex", "女")
    settled(page, lambda: clerk.click("#member-form button[type='submit']"))
    to_step(clerk, "roles")  # ② 届出人・内容: the certificates asked for
    settled(page, lambda: clerk.check("#cert-residence"))
    answer_shown_questions(clerk)  # ③ answered, on to ④
    to_step(clerk, "questions")  # the guidance list sits beside the questions
    expect(page.locator("#procedures")).to_be_visible()
    expect(page.locator("#procedures")).to_contain_text(RENAMED)
    shot(page, "6-counter")
    page.context.close()
    assert not errors, errors


def test_a_second_municipality_runs_itself_from_the_cli_to_the_counter(
    browser: Any, live_system: tuple[str, str], tmp_path: Path
) -> None:
    base_url, database_url = live_system
    create_municipality(base_url, database_url)

    admin = log_in_as_admin(browser, base_url)
    shot(admin, "1-admin")
    add_clerk(admin)
    add_queue_and_counter(admin)
    ticket_machine = pair(admin, "ticket_machine", "発券機（1F）", "/ticket/")
    expect(ticket_machine.get_by_role("button", name="証明書")).to_be_visible()
    shot(ticket_machine, "3-ticket-machine")
    ticket_machine.context.close()
    tablet = pair(admin, "tablet", "確認用タブレット（1番窓口）", "/tablet/")
    assert "token" not in tablet.url  # the token left the address bar
    tablet.context.close()
    shot(admin, "3-devices")
    import_areas(admin, tmp_path)
    shot(admin, "4-areas")
    edit_try_and_activate_one_procedure(admin)
    admin.context.close()

    clerk_sees_the_change(browser, base_url)
