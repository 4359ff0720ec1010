"""The staff screen reads typed dates exactly as the server does (forms.wareki.parse_date): the
same days accepted, the same ones refused with the same message, in real Chromium.

The screen's rule is built from the era table of GET /api/v1/schemas/lists.json; each accepted
input is sent and the day the server stores is compared with the server's own reading.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE
from forms.wareki import WarekiError, parse_date
from tests.e2e.conftest import ARTIFACTS, settled
from tests.helpers.dates import DATE_INPUTS

pytestmark = pytest.mark.browser


def server_reading(text: str) -> tuple[str | None, str | None]:
    """(ISO day, None) when the server's rule accepts ``text``, else (None, its message)."""
    try:
        return parse_date(text).isoformat(), None
    except WarekiError as refused:
        return None, str(refused)


def open_walk_in_visit(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/staff/")
    page.fill("#tenant-code", DEMO_TENANT_CODE)
    page.fill("#username", "clerk")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#pick-counter:not([hidden]), #idle:not([hidden]), #visit:not([hidden])")
    if page.is_visible("#pick-counter"):
        page.click("#counter-list button:has-text('1番窓口')")
    page.wait_for_selector("#idle:not([hidden]), #visit:not([hidden])")
    if page.is_visible("#idle"):
        page.click("#walk-in")
    page.wait_for_selector("#visit:not([hidden]) #events button")


def is_visit_patch(response: Any) -> bool:
    return response.request.method == "PATCH" and "/api/v1/visits/" in response.url


def test_staff_screen_accepts_and_refuses_dates_as_the_server(live_server: str, page: Any) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    patches: list[str] = []
    page.on("request", lambda r: r.method == "PATCH" and patches.append(r.post_data or ""))
    open_walk_in_visit(page, live_server)
    # the screen's lists are the server's: nine events, labelled from the lists endpoint
    assert page.locator("#events button").count() == 9
    expect(page.locator("#events button[data-event='moving-within']")).to_have_text("転居")
    field, message = page.locator("#event-date"), page.locator("#message")

    accepted = 0
    for text, expected in DATE_INPUTS:
        day, refusal = server_reading(text)
        assert day == expected, f"the table and forms.wareki disagree on {text!r}"
        field.evaluate("el => el.removeAttribute('aria-invalid')")
        if day is not None:
            with page.expect_response(is_visit_patch, timeout=10000) as answer:
                field.fill(text)
                field.press("Tab")
            assert answer.value.status == 200, (text, answer.value.text())
            assert answer.value.json()["event_date"] == day, text
            expect(field).to_have_attribute("aria-invalid", "false")
            expect(message).to_be_hidden()
            accepted += 1
        else:
            field.fill(text)
            field.press("Tab")
            expect(field).to_have_attribute("aria-invalid", "true")
            expect(message).to_have_text(refusal or "")
        if text == "令和1年4月30日":
            page.screenshot(path=str(ARTIFACTS / "date-input-refused.png"), full_page=True)
    assert len(patches) == accepted  # nothing refused was sent
    assert {"平成31年4月30日", "令和元年5月1日"} <= {t for t, e in DATE_INPUTS if e}

    # a member's birth date, across the 平成/令和 boundary: the row shows the server's day
    page.click("#add-member")
    page.fill("#m-name", "試験　花子")
    page.fill("#m-birth", "令和1年4月30日")
    page.click("#member-form button[type='submit']")
    expect(message).to_have_text(server_reading("令和1年4月30日")[1] or "")
    expect(page.locator("#m-birth")).to_have_attribute("aria-invalid", "true")
    page.fill("#m-birth", "平成31年4月30日")
    page.select_option("#m-sex", label="女")
    page.click("#member-form button[type='submit']")
    row = page.locator("#member-rows tr:has-text('試験　花子')")
    expect(row).to_contain_text("2019-04-30")
    expect(row).to_contain_text("女")
    page.screenshot(path=str(ARTIFACTS / "date-input-member.png"), full_page=True)

    page.click("#abandon")  # leave counter 1 free for the other browser tests
    page.click("#confirm-yes")
    page.wait_for_selector("#idle:not([hidden])")
    assert not errors, errors


def test_a_blocking_finding_is_listed_and_holds_the_tablet(live_server: str, page: Any) -> None:
    """A birth dated after today: step ④ lists the finding in words with what to do, and
    「タブレットで確認」 stays disabled with the reason beside it; 「直す」 opens the step where the
    data is entered."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    open_walk_in_visit(page, live_server)
    settled(page, lambda: page.click("#events button[data-event='birth']"))
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    page.click("#add-newborn")
    page.fill("#m-name", "試験　はる")
    page.fill("#m-birth", future)
    page.select_option("#m-sex", label="女")
    settled(page, lambda: page.click("#member-form button[type='submit']"))
    settled(page, lambda: page.click("#steps button[data-step='forms']"))
    blocking = page.locator("#findings li.block")
    expect(blocking.first).to_be_visible()
    assert "要修正" in blocking.first.inner_text() and "→" in blocking.first.inner_text()
    expect(page.locator("#open-block")).to_be_visible()
    assert "要修正" in page.inner_text("#open-list")
    expect(page.locator("#send-tablet")).to_be_disabled()
    expect(page.locator("#steps button[data-step='forms'] .count")).to_have_text("!")
    page.screenshot(path=str(ARTIFACTS / "console-blocking-finding.png"))
    settled(page, lambda: blocking.first.locator("button").click())
    expect(page.locator("#step-intake")).to_be_visible()

    page.click("#abandon")  # leave counter 1 free for the other browser tests
    page.click("#confirm-yes")
    page.wait_for_selector("#idle:not([hidden])")
    assert not errors, errors
