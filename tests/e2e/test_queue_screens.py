"""The ticket machine, the display board and the phone page in real Chromium, live by SSE."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from backend.seed import (
    DEMO_DISPLAY_TOKEN,
    DEMO_PASSWORD,
    DEMO_TENANT_CODE,
    DEMO_TICKET_MACHINE_TOKEN,
)
from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


class Clerk:
    """A clerk's calls over HTTP (the staff console is another screen's job)."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10, trust_env=False)
        body = self.http.post(
            "/api/v1/auth/login",
            json={"tenant_code": DEMO_TENANT_CODE, "username": "clerk", "password": DEMO_PASSWORD},
        ).json()
        self.http.headers["x-csrf-token"] = body["csrf_token"]

    def counter(self, code: str) -> dict[str, Any]:
        counters = self.http.get("/api/v1/counters").json()
        return next(c for c in counters if c["code"] == code)

    def call_next(self, code: str) -> dict[str, Any]:
        counter = self.counter(code)
        if not counter["is_open"]:
            self.http.post(f"/api/v1/counters/{counter['id']}/open").raise_for_status()
        if counter["current_ticket"]:
            self.http.post(f"/api/v1/tickets/{counter['current_ticket']['id']}/finish")
        response = self.http.post(f"/api/v1/counters/{counter['id']}/call-next")
        response.raise_for_status()
        return response.json()["ticket"]


def test_ticket_machine_shows_a_qr_when_nothing_is_printed(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/ticket/?token={DEMO_TICKET_MACHINE_TOKEN}")
    page.get_by_role("button", name="証明書").click()
    page.wait_for_selector("#issued:not(.hidden)")
    number = page.text_content("#issued-number")
    assert number and number.startswith("B-")
    # no printer is wired in this server: the QR is on screen and loads
    assert page.get_attribute("body", "data-print-status") == "not_configured"
    assert page.is_visible("#qr")
    # The page's CSP forbids eval, so poll from Python rather than with wait_for_function.
    _wait_until(lambda: page.locator("#qr").evaluate("img => img.naturalWidth") > 0)
    # the token was moved from the URL to localStorage
    assert "token=" not in page.url


def test_ticket_machine_in_english(live_server: str, page: Any) -> None:
    # the pairing link carries the token in the fragment, which no server log ever sees
    page.goto(f"{live_server}/ticket/#token={DEMO_TICKET_MACHINE_TOKEN}")
    page.click("#languages button[data-lang='en']")
    page.get_by_role("button", name="Health insurance / Pension").wait_for()
    assert page.text_content("h1") == "Please choose what you came for"
    assert "token" not in page.url
    # a reload works from localStorage alone
    page.reload()
    page.get_by_role("button", name="証明書").wait_for()


def test_display_board_and_phone_page_update_live(
    live_server: str, browser: Any, page: Any
) -> None:
    machine = httpx.Client(
        base_url=live_server,
        headers={"Authorization": f"Bearer {DEMO_TICKET_MACHINE_TOKEN}"},
        trust_env=False,
    )
    queues = machine.get("/api/v1/ticket-machine/queues").json()["queues"]
    queue_c = next(q for q in queues if q["prefix"] == "C")
    issued = [
        machine.post("/api/v1/tickets", json={"queue_id": queue_c["id"]}).json() for _ in range(2)
    ]
    mine = issued[1]

    page.goto(f"{live_server}/display/#token={DEMO_DISPLAY_TOKEN}")
    page.wait_for_selector("body[data-live='on']")  # the event stream sends the token as a header
    assert "token" not in page.url

    phone_context = browser.new_context(viewport={"width": 390, "height": 800}, locale="ja-JP")
    phone = phone_context.new_page()
    phone.goto(mine["follow_url"])
    phone.wait_for_selector("#number:has-text('C-')")
    assert phone.text_content("#ahead") == "1人"
    assert "約" in (phone.text_content("#wait") or "")

    clerk = Clerk(live_server)
    clerk.call_next("5")  # the resident ahead
    expect(phone.locator("#ahead")).to_have_text("0人")
    second = clerk.call_next("5")
    assert second["id"] == mine["ticket"]["id"]

    number = mine["ticket"]["display_number"]
    expect(page.locator("#latest-number")).to_have_text(number)
    assert "5" in (page.text_content("#latest-counter") or "")
    assert page.evaluate("window.madoguchiChimes") >= 2
    phone.wait_for_selector("body[data-status='called']")
    assert "呼ばれました" in (phone.text_content("#state") or "")
    phone.screenshot(path=str(ARTIFACTS / "phone_called.png"))
    phone_context.close()


def _wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within the time limit")
        time.sleep(0.1)
