"""Reservations and the residents' pages in real Chromium: the admin creates a slot
(1366×768), a resident books it on a phone-sized page (390×844), checks in at the ticket
machine with the reservation number and is called before the walk-in who came earlier; the
counter's idle screen lists the day's reservations. Screenshots in tests/e2e/artifacts/."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE, DEMO_TICKET_MACHINE_TOKEN
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_queue_screens import Clerk

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
ADMIN = {"width": 1366, "height": 768}
TOKYO = ZoneInfo("Asia/Tokyo")


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"residents-{name}.png"), full_page=True)


def login(page: Any, base: str, path: str, username: str) -> None:
    page.goto(f"{base}{path}")
    page.fill("#tenant-code", DEMO_TENANT_CODE)
    page.fill("#username, input[name=username]", username)
    page.fill("#password, input[name=password]", DEMO_PASSWORD)
    page.keyboard.press("Enter")


def admin_creates_a_slot_soon(browser: Any, base: str) -> str:
    """The admin's tab: a おくやみ slot today, a few minutes from now; returns its HH:MM."""
    soon = (dt.datetime.now(TOKYO) + dt.timedelta(minutes=20)).replace(second=0, microsecond=0)
    if soon.date() != dt.datetime.now(TOKYO).date():
        pytest.skip("too close to midnight in Tokyo for a slot today")
    context = browser.new_context(viewport=ADMIN, locale="ja-JP")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, base, "/admin/", "admin")
    page.click("#t-reservations")
    page.wait_for_selector("#slot-form")
    page.select_option("#sl-purpose", "death")
    page.fill("#sl-label", "おくやみコーナー")
    page.fill("#sl-from", soon.date().isoformat())
    page.fill("#sl-to", soon.date().isoformat())
    for day in range(7):
        page.check(f"#sl-day-{day}")
    page.fill("#sl-times", soon.strftime("%H:%M"))
    page.fill("#sl-capacity", "2")
    page.click("#slot-form button[type=submit]")
    expect(page.locator("#slot-table")).to_contain_text("おくやみコーナー")
    page.screenshot(path=str(ARTIFACTS / "residents-admin-1366.png"))
    context.close()
    assert not errors, errors
    return soon.strftime("%H:%M")


def test_reservation_booked_checked_in_and_called_first(live_server: str, browser: Any) -> None:
    admin_creates_a_slot_soon(browser, live_server)
    clerk = Clerk(live_server)
    machine = {"authorization": f"Bearer {DEMO_TICKET_MACHINE_TOKEN}"}
    queues = clerk.http.get("/api/v1/ticket-machine/queues", headers=machine).json()["queues"]
    queue_a = next(q for q in queues if q["prefix"] == "A")
    walk_in = clerk.http.post("/api/v1/tickets", json={"queue_id": queue_a["id"]}, headers=machine)
    assert walk_in.status_code == 201, walk_in.text

    # the resident books on a phone, in English
    phone = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    page = phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/pre/?lang=en#{DEMO_TENANT_CODE}")
    page.wait_for_selector("body[data-state=ready]")
    shot(page, "pre-start-en")
    page.click("#tab-res")
    page.select_option("#purpose", "death")
    page.locator("#slots button:not([disabled])").first.click()
    page.fill("#res-phone", "080-5555-0101")
    page.click("#book")
    page.wait_for_selector("body[data-state=booked]")
    number = page.inner_text("#res-number").strip()
    assert len(number) == 6 and number.isdigit()
    assert page.locator("#res-qr").evaluate("img => img.naturalWidth") > 0
    shot(page, "reservation-booked-en")
    scroll = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert scroll <= 0, "the phone page scrolls sideways"
    phone.close()
    assert not errors, errors

    # check-in at the ticket machine with the number
    kiosk = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="ja-JP")
    machine_page = kiosk.new_page()
    machine_page.goto(f"{live_server}/ticket/#token={DEMO_TICKET_MACHINE_TOKEN}")
    machine_page.click("#reserved")
    machine_page.fill("#checkin-code", number)
    machine_page.keyboard.press("Enter")
    machine_page.wait_for_selector("body[data-checkin]")
    reserved_ticket = machine_page.inner_text("#checkin-number").strip()
    assert reserved_ticket.startswith("A-")
    shot(machine_page, "ticket-checked-in")
    kiosk.close()

    # the clerk calls next: the reserved ticket comes before the walk-in who came first
    called = clerk.call_next("1")
    assert called["display_number"] == reserved_ticket
    assert called["display_number"] != walk_in.json()["ticket"]["display_number"]

    # the counter's idle screen lists it, checked in, with its ticket
    console = browser.new_context(viewport=ADMIN, locale="ja-JP")
    staff = console.new_page()
    login(staff, live_server, "/staff/", "clerk")
    staff.wait_for_selector("#pick-counter:not([hidden]), #idle:not([hidden])")
    if staff.is_visible("#pick-counter"):
        staff.click("#counter-list button:has-text('2番窓口')")
    staff.wait_for_selector("#idle:not([hidden])")
    row = staff.locator(f"#reservation-rows tr:has-text('{number}')")
    expect(row).to_contain_text("受付済み")
    expect(row).to_contain_text(reserved_ticket)
    shot(staff, "staff-idle-reservations")
    console.close()


def test_preentry_page_in_each_language_fits_a_phone(live_server: str, browser: Any) -> None:
    """The start of the pre-entry page in the six languages at 390×844: no sideways scroll,
    the events in the language chosen with the Japanese beside them."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    for lang, word in (("ja", "転入"), ("en", "Moving in"), ("zh", "迁入"), ("ko", "전입"),
                       ("vi", "Chuyển đến"), ("pt", "Mudança")):  # fmt: skip
        page.goto(f"{live_server}/pre/?lang={lang}#{DEMO_TENANT_CODE}")
        page.wait_for_selector("body[data-state=ready]")
        expect(page.locator("#events")).to_contain_text(word)
        assert page.evaluate("document.documentElement.lang") == lang
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        shot(page, f"pre-start-{lang}")
    context.close()


def test_a_wrong_reservation_number_is_told_in_the_machines_language(
    live_server: str, browser: Any
) -> None:
    """A mistyped number at the ticket machine: in Japanese, then in Vietnamese once the
    resident picked it (the server's message is Japanese; the machine words it itself)."""
    kiosk = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="ja-JP")
    page = kiosk.new_page()
    page.goto(f"{live_server}/ticket/#token={DEMO_TICKET_MACHINE_TOKEN}")
    error = page.locator("#resident-error")
    for code, button, said in (
        ("ja", None, "予約が見つかりません"),
        ("vi", "Tiếng Việt", "Không tìm thấy"),
    ):
        if button is not None:
            page.click(f"button:text-is('{button}')")
        page.click("#reserved")
        page.fill("#checkin-code", "000000")
        page.keyboard.press("Enter")
        expect(error).to_contain_text(said)
        shot(page, f"ticket-checkin-wrong-{code}")
        page.click("#resident-back")
    kiosk.close()
