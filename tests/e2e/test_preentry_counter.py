"""A resident pre-enters a 4-person 転入 in Vietnamese on a phone-sized page (390×844); the
clerk scans the QR on the staff console, reads the one card, and reaches the tablet with
nothing retyped: the three members without a card, the new address, the phone, the answers
and the certificate come from the pre-entry (marked 事前入力), the card holder from the card.
Real parts as in test_counter_screens (vpcd card, agent, tablet)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from backend.seed import DEMO_TENANT_CODE
from tests.e2e.conftest import ARTIFACTS, answer_shown_questions, settled, to_step
from tests.e2e.test_counter_screens import (  # noqa: F401 - fixtures
    CARD,
    Counting,
    Env,
    env,
    issue_ticket,
    read_card,
    staff,
    tablet,
)

pytestmark = [pytest.mark.browser, pytest.mark.pcsc, pytest.mark.slow]

MEMBERS = [
    ("Nguyễn Thị Lan", "1992-05-01", "2", "妻"),
    ("Nguyễn Văn Minh", "2019-04-02", "1", "子"),
    ("Nguyễn Thị Hoa", "2021-08-15", "2", "子"),
]
PHONE = "090-2468-1357"


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"preentry-{name}.png"), full_page=True)


def pre_enter_in_vietnamese(browser: Any, base: str) -> str:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="vi-VN", is_mobile=True, has_touch=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/pre/?lang=vi#{DEMO_TENANT_CODE}")
    page.wait_for_selector("body[data-state=ready]")
    page.click("#events input[value='moving-in']")
    page.wait_for_selector("#details:not([hidden])")
    for name, birth, sex, relationship in MEMBERS:
        page.click("#add-member")
        page.fill("#m-name", name)
        page.fill("#m-birth", birth)
        page.select_option("#m-sex", sex)
        page.select_option("#m-rel", relationship)
        page.select_option("#m-nat", "VN")
        page.click("#member-form button[type=submit]")
    expect(page.locator("#members li")).to_have_count(3)
    page.select_option("#area", index=1)
    page.fill("#block", "2-3")
    page.fill("#phone", PHONE)
    page.check("#certificates input[value='residence']")
    for _ in range(40):  # answer whatever is asked until nothing is open
        page.wait_for_function("() => document.body.dataset.busy === '0'")
        rows = page.locator("#questions .question")
        if rows.count() == 0:
            break
        row = rows.first
        if row.locator("input[type=radio]").count():
            # click, not check(): the answer re-renders the questions at once, and check()'s
            # look at the radio afterwards can find it replaced and click the next one too
            row.locator("input[type=radio][value=false]").click()
        elif row.locator("select").count():
            row.locator("select").select_option(index=1)
        else:
            row.locator("input").fill("1")
            row.locator("input").press("Tab")
        page.wait_for_function("() => document.body.dataset.busy === '0'")
    assert page.locator("#questions .question").count() == 0
    assert page.locator("#procedures li").count() > 0
    expect(page.locator("#events")).to_contain_text("Chuyển đến")
    shot(page, "phone-vi-answers")
    page.click("#make-qr")
    page.wait_for_selector("body[data-state=issued]")
    assert page.locator("#qr").evaluate("img => img.naturalWidth") > 0
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shot(page, "phone-vi-qr")
    code = page.inner_text("#code").strip()
    context.close()
    assert not errors, errors
    return code


def test_vietnamese_preentry_opens_the_visit_with_nothing_retyped(
    env: Env,  # noqa: F811
    staff: Any,  # noqa: F811
    tablet: Any,  # noqa: F811
    browser: Any,
) -> None:
    code = pre_enter_in_vietnamese(browser, env.base_url)
    assert code.startswith("PE-")
    env.insert_card()
    issue_ticket(env)
    clerk = Counting(staff)
    clerk.click("#call-next")
    staff.wait_for_selector("#visit:not([hidden])")
    # the 2D barcode scanner types the code and presses Enter (the scanner's keys, not the clerk's)
    staff.fill("#preentry-code", code)
    settled(staff, lambda: staff.press("#preentry-code", "Enter"))
    rows = staff.locator("#member-rows tr")
    expect(rows).to_have_count(3)
    assert staff.locator("#member-rows .badge:text-is('事前入力')").count() == 3
    expect(staff.locator("#events button.chosen")).to_have_attribute("data-event", "moving-in")
    shot(staff, "console-after-scan")
    read_card(clerk, tablet)
    expect(rows).to_have_count(4, timeout=20000)
    assert CARD.name in staff.inner_text("#member-rows")
    to_step(clerk, "roles")
    expect(staff.locator("#new-address")).to_contain_text("２－３")
    answer_shown_questions(clerk)
    shot(staff, "console-ready-for-tablet")
    clerk.click("#send-tablet")
    tablet.wait_for_selector("#confirm:not([hidden]), #pin:not([hidden])", timeout=20000)
    expect(tablet.locator("html")).to_have_attribute("lang", "vi")  # the pre-entry's language
    shot(tablet, "tablet-confirm")
    entered = [m[0] for m in MEMBERS] + [m[1] for m in MEMBERS] + [PHONE, "2-3", "２－３"]
    retyped = [value for _field, value in clerk.typed if any(value in e for e in entered)]
    assert retyped == [], retyped
    assert clerk.typed_card_data([CARD.name, CARD.address, CARD.birth_date]) == 0
    print(f"clerk actions after the scan: {clerk.actions}, typed: {clerk.typed}")
