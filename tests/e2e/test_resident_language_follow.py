"""Issue 20's last gaps in real Chromium against the live server: the ticket machine names the
queues in Korean and offers to print the pre-entry QR in Korean; the tablet of a counter whose
visit was opened from a Vietnamese pre-entry starts in Vietnamese (and the resident can still
switch), then returns to Japanese for the next resident. Screenshots in tests/e2e/artifacts/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from backend.identity.auth.tokens import hash_token
from backend.identity.devices.models import Device, DeviceKind
from backend.identity.tenants.models import Counter, Tenant
from backend.platform import db as db_module
from backend.seed import DEMO_TENANT_CODE, DEMO_TICKET_MACHINE_TOKEN
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_glyphs import assert_no_missing_glyph
from tests.e2e.test_queue_screens import Clerk
from tests.helpers.axe import assert_accessible

pytestmark = pytest.mark.browser

TABLET_TOKEN = "e2e-language-tablet-token"
COUNTER = "6"  # a counter the other live-server tests leave alone
PREENTRY = {
    "lang": "vi",
    "event": "moving-in",
    "members": [
        {"name": "Nguyễn Thị Lan", "birth_date": "1992-05-01", "sex": "2",
         "relationship": "妻", "nationality": "VN"},
    ],
}  # fmt: skip


def shot(page: Any, name: str) -> None:
    assert_accessible(page, name)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"language-{name}.png"), full_page=True)


def test_the_ticket_machine_in_korean_names_queues_and_prints_the_preentry_qr(
    live_server: str, browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="ja-JP")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/ticket/#token={DEMO_TICKET_MACHINE_TOKEN}")
    page.wait_for_selector("#purposes button.purpose")
    page.click("#languages button[data-lang='ko']")
    certificates = page.locator("#purposes button[data-prefix='B']")
    expect(certificates).to_contain_text("증명서")
    expect(certificates.locator(".other-name")).to_have_text("証明書")  # the signs' Japanese
    assert_no_missing_glyph(page, "ticket machine in Korean")
    shot(page, "ticket-ko")

    page.click("#pre-entry")
    expect(page.locator("#print-qr")).to_have_text("QR 코드 인쇄")
    expect(page.locator("#fill-here")).to_be_visible()
    with page.expect_request("**/api/v1/ticket-machine/resident-links/print") as asked:
        page.click("#print-qr")
    assert json.loads(asked.value.post_data or "{}") == {"lang": "ko"}
    # the live server has no printer: the resident is told so, in Korean, and keeps the QR
    expect(page.locator("#print-note")).to_contain_text("인쇄하지 못했습니다")
    expect(page.locator("#resident-qr")).to_be_visible()
    shot(page, "ticket-ko-preentry")

    page.click("#resident-back")
    certificates.click()
    page.wait_for_selector("#issued:not(.hidden)")
    expect(page.locator("#issued-queue")).to_contain_text("증명서")
    context.close()
    assert not errors, errors


def _pair_tablet(live_database: str) -> None:
    """A tablet at counter 6 of the live server's demo municipality (once per database)."""
    engine = db_module.make_engine(live_database)
    with db_module.Session(engine, info={"unscoped": True}) as session:
        tenant = session.scalars(select(Tenant).where(Tenant.code == DEMO_TENANT_CODE)).one()
        taken = session.scalars(
            select(Device).where(Device.token_hash == hash_token(TABLET_TOKEN))
        ).first()
        if taken is None:
            counter = session.scalars(
                select(Counter).where(Counter.tenant_id == tenant.id, Counter.code == COUNTER)
            ).one()
            session.add(
                Device(
                    tenant_id=tenant.id,
                    office_id=counter.office_id,
                    kind=DeviceKind.TABLET.value,
                    name="tablet 6",
                    counter_id=counter.id,
                    token_hash=hash_token(TABLET_TOKEN),
                )
            )
            session.commit()
    engine.dispose()


@pytest.fixture
def tablet(browser: Any, live_server: str, live_database: str) -> Iterator[Any]:
    _pair_tablet(live_database)
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="ja-JP")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/tablet/#token={TABLET_TOKEN}")
    page.wait_for_selector("#welcome:not([hidden])")
    yield page
    context.close()
    assert not errors, errors


def test_a_vietnamese_preentrys_visit_shows_the_tablet_in_vietnamese(
    live_server: str, tablet: Any
) -> None:
    expect(tablet.locator("html")).to_have_attribute("lang", "ja")
    with httpx.Client(base_url=live_server, timeout=10, trust_env=False) as resident:
        made = resident.post(f"/api/v1/public/{DEMO_TENANT_CODE}/preentries", json=PREENTRY)
        assert made.status_code == 201, made.text
    clerk = Clerk(live_server)
    counter = clerk.counter(COUNTER)
    visit = clerk.http.post("/api/v1/visits", json={"counter_id": counter["id"]})
    assert visit.status_code == 201, visit.text
    visit_id = visit.json()["id"]
    try:
        # the tablet sees the visit first without a language (polled every second), then the
        # clerk scans the pre-entry: the language known later is followed too
        tablet.wait_for_timeout(2500)
        expect(tablet.locator("html")).to_have_attribute("lang", "ja")
        applied = clerk.http.post(
            f"/api/v1/visits/{visit_id}/preentry", json={"code": made.json()["code"]}
        )
        assert applied.status_code == 200, applied.text

        expect(tablet.locator("html")).to_have_attribute("lang", "vi", timeout=10000)
        expect(tablet.locator("#languages button[data-lang='vi']")).to_have_attribute(
            "aria-pressed", "true"
        )
        welcome = tablet.inner_text("#welcome")
        assert "ようこそ" not in welcome and welcome.strip(), welcome
        assert_no_missing_glyph(tablet, "tablet in Vietnamese")
        shot(tablet, "tablet-vi-from-preentry")

        # the resident can still choose: English stays across the next polls
        tablet.click("#languages button[data-lang='en']")
        tablet.wait_for_timeout(2500)
        expect(tablet.locator("html")).to_have_attribute("lang", "en")
    finally:
        clerk.http.post(f"/api/v1/visits/{visit_id}/close")
    # the visit over, the next resident finds the tablet in Japanese
    expect(tablet.locator("html")).to_have_attribute("lang", "ja", timeout=10000)


def test_a_preentry_made_on_the_ticket_machine_offers_its_qr_to_print(
    live_server: str, browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="ja-JP")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/ticket/#token={DEMO_TICKET_MACHINE_TOKEN}")
    page.wait_for_selector("#purposes button.purpose")
    page.click("#languages button[data-lang='vi']")
    page.click("#pre-entry")
    page.click("#fill-here")
    page.wait_for_selector("body[data-state=ready]")
    assert "/pre/?kiosk=1&lang=vi" in page.url
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    page.click("#events input[value='moving-in']")
    page.wait_for_selector("#details:not([hidden])")
    page.wait_for_function("() => document.body.dataset.busy === '0'")
    page.click("#make-qr")
    page.wait_for_selector("body[data-state=issued]")
    code = page.inner_text("#code").strip()
    expect(page.locator("#kiosk-print")).to_have_text("In mã QR này")
    shot(page, "pre-kiosk-vi")
    with page.expect_request("**/api/v1/ticket-machine/resident-links/print") as asked:
        page.click("#kiosk-print")
    assert json.loads(asked.value.post_data or "{}") == {"lang": "vi", "code": code}
    expect(page.locator("#kiosk-note")).to_contain_text("Không in được")  # no printer here
    page.click("#kiosk-back")
    page.wait_for_selector("#purposes button.purpose")
    assert page.url.endswith("/ticket/")
    context.close()
    assert not errors, errors


def test_a_phone_never_sees_the_kiosk_buttons(live_server: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{live_server}/pre/?kiosk=1&lang=vi#{DEMO_TENANT_CODE}")
    page.wait_for_selector("body[data-state=ready]")
    assert page.locator("#kiosk-print, #kiosk-back").count() == 0  # no machine token stored
    context.close()
