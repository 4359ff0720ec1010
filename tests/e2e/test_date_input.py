"""The staff screen reads typed dates exactly as the server does (forms.wareki.parse_date): the
same days accepted, the same ones refused with the same message, in real Chromium.

The screen's rule is built from the era table of GET /api/v1/schemas/lists.json; each accepted
input is sent and the day the server stores is compared with the server's own reading.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE
from forms.wareki import WarekiError, parse_date
from tests.e2e.conftest import ARTIFACTS
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
