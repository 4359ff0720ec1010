"""The resident screens in the six languages, and the feedback a resident gets, in real Chromium.

The tablet's server answers are stubbed with ``page.route`` (its card flow with the real agent
and virtual card is ``test_counter_screens.py``): what is checked here is what the resident reads
and whether the PIN pad fits the tablet. The ticket machine and the phone page run against the
live server. Screenshots in tests/e2e/artifacts/resident-*.png.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from backend.seed import DEMO_TICKET_MACHINE_TOKEN
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_queue_screens import Clerk

pytestmark = pytest.mark.browser

LANGUAGES = ("ja", "en", "zh-Hans", "ko", "vi", "pt")
TABLET_SIZES = {"landscape": (1024, 768), "portrait": (768, 1024)}
JAPANESE = ("ようこそ", "暗証番号", "決定", "訂正", "内容をご確認", "署名", "お待ち", "窓口")

RECORD = {
    "event": "moving-in",
    "event_date": "2026-12-03",
    "new_address": "北区1-2-3",
    "previous_address": "東京都清瀬市4-5-6",
    "members": [
        {
            "name": "黒桐　幹也",
            "kana": "コクトウ　ミキヤ",
            "birth_date": "1990-03-04",
            "sex": "1",
            "relationship": "世帯主",
        },
        {
            "name": "黒桐　鮮花",
            "kana": "",
            "birth_date": "1992-07-08",
            "sex": "2",
            "relationship": "妻",
        },
    ],
    "applicant": {"name": "黒桐　幹也"},
    "certificates": [{"kind": "residence", "copies": 1}, {"kind": "tax", "copies": 2}],
}


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"resident-{name}.png"))


class FakeTablet:
    """The tablet's two endpoints, answered from Python: ``view`` is what /tablet/current says."""

    def __init__(self, page: Any) -> None:
        self.view: dict[str, Any] = {"counter": "1番窓口", "visit": None, "pin_request": None}
        self.pins: list[str] = []
        page.route("**/api/v1/tablet/current", self._current)
        page.route("**/api/v1/agent/jobs/*/pin", self._pin)
        page.route("**/api/v1/tablet/visits/*/signature", self._sign)

    def _current(self, route: Any) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(self.view))

    def _pin(self, route: Any) -> None:
        self.pins.append("submitted")  # never the PIN itself
        job = dict(self.view["pin_request"], status="queued")
        self.view = {**self.view, "pin_request": None, "card_read": job}
        route.fulfill(status=200, content_type="application/json", body=json.dumps(job))

    def _sign(self, route: Any) -> None:
        route.fulfill(status=200, content_type="application/json", body="{}")

    def ask_pin(self, job_id: str) -> None:
        self.view = {**self.view, "pin_request": {"id": job_id, "status": "waiting_pin"}}

    def fail_read(self, code: str, retries_left: int | None) -> None:
        read = dict(self.view["card_read"], status="failed")
        read["error"] = {
            "code": code,
            "message": "暗証番号が違います。",
            "retries_left": retries_left,
        }
        self.view = {**self.view, "card_read": read}

    def confirm(self) -> None:
        forms = [{"form": "moving-notice", "title": "住民異動届"}]
        visit = {"id": "v1", "status": "confirming", "record": RECORD, "forms": forms}
        self.view = {**self.view, "visit": visit, "card_read": None}


@pytest.fixture
def tablet_at(
    browser: Any, live_server: str
) -> Iterator[Callable[[int, int], tuple[Any, FakeTablet]]]:
    contexts: list[Any] = []

    def open_tablet(width: int, height: int) -> tuple[Any, FakeTablet]:
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="ja-JP", has_touch=True
        )
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.errors = errors
        fake = FakeTablet(page)
        page.goto(f"{live_server}/tablet/#token=stubbed")
        page.wait_for_selector("#welcome:not([hidden])")
        return page, fake

    yield open_tablet
    for context in contexts:
        context.close()


def choose(page: Any, lang: str) -> None:
    page.click(f"#languages button[data-lang='{lang}']")
    expect(page.locator("html")).to_have_attribute("lang", lang)


def enter(page: Any, pin: str) -> None:
    for digit in pin:
        page.click(f"#pin-pad button[data-key='{digit}']")


def within_viewport(page: Any, selector: str) -> None:
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    scroll = page.evaluate("() => [window.scrollX, window.scrollY]")
    assert scroll == [0, 0], f"the page scrolled to {scroll}"
    for box in [
        page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())
    ]:
        assert box is not None
        assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
        assert box["x"] + box["width"] <= width + 0.5, (selector, box, width)
        assert box["y"] + box["height"] <= height + 0.5, (selector, box, height)


# --- the tablet ----------------------------------------------------------------------------


@pytest.mark.parametrize("size", TABLET_SIZES)
def test_the_pin_pad_fits_the_tablet_with_a_wrong_pin_message(
    tablet_at: Callable[[int, int], tuple[Any, FakeTablet]], size: str
) -> None:
    """Every key, 訂正 / 0 / 決定 included, is on screen without scrolling, even with the
    wrong-PIN message above the pad and in the longest language."""
    page, fake = tablet_at(*TABLET_SIZES[size])
    for lang in ("ja", "vi", "pt"):
        choose(page, lang)
        fake.ask_pin(f"job-{lang}")
        page.wait_for_selector("#pin:not([hidden])")
        enter(page, "9999")
        page.wait_for_selector("#reading:not([hidden])")
        fake.fail_read("wrong_pin", 2)
        page.wait_for_selector("#card-result:not([hidden])")
        fake.ask_pin(f"job-{lang}-again")
        page.wait_for_selector("#pin:not([hidden]) #pin-error:not([hidden])")
        assert page.locator("#pin-pad button").count() == 12
        within_viewport(page, "#pin-pad button")
        within_viewport(page, "#pin-error")
        shot(page, f"tablet-pin-{size}-{lang}")
        enter(page, "1234")
        page.wait_for_selector("#reading:not([hidden])")
        fake.view = {**fake.view, "card_read": None}
    assert not page.errors


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("ja", ["暗証番号が違います。", "あと 2 回まで入力できます。", "もう一度お試しください"]),
        ("en", ["Wrong PIN.", "You have 2 tries left.", "Please try again."]),
        ("ko", ["비밀번호가 틀렸습니다.", "2번", "다시 시도해 주십시오."]),
        ("pt", ["Senha incorreta.", "Restam 2 tentativas.", "Tente de novo"]),
    ],
)
def test_a_wrong_pin_tells_the_resident_the_tries_left(
    tablet_at: Callable[[int, int], tuple[Any, FakeTablet]], lang: str, expected: list[str]
) -> None:
    page, fake = tablet_at(1024, 768)
    choose(page, lang)
    fake.ask_pin("job-1")
    page.wait_for_selector("#pin:not([hidden])")
    enter(page, "9999")
    page.wait_for_selector("#reading:not([hidden])")
    fake.fail_read("wrong_pin", 2)
    # back on the welcome screen, the resident is told, and it stays (the tablet polls every second)
    message = page.locator("#card-result")
    expect(message).to_be_visible()
    page.wait_for_timeout(2500)
    expect(message).to_be_visible()
    for text in expected:
        assert text in message.inner_text(), (text, message.inner_text())
    shot(page, f"tablet-wrong-pin-{lang}")
    # one try left reads in the singular
    fake.ask_pin("job-2")
    page.wait_for_selector("#pin:not([hidden])")
    enter(page, "8888")
    # as above: the result only after the tablet shows the reading (a result set before the PIN
    # was sent is not the answer to it, and the tablet kept waiting: CI, stop 31)
    page.wait_for_selector("#reading:not([hidden])")
    fake.fail_read("wrong_pin", 1)
    if lang == "en":
        expect(message).to_contain_text("You have 1 try left.")
    if lang == "pt":
        expect(message).to_contain_text("Resta 1 tentativa.")


def test_an_empty_signature_says_so(
    tablet_at: Callable[[int, int], tuple[Any, FakeTablet]],
) -> None:
    page, fake = tablet_at(768, 1024)
    fake.confirm()
    page.wait_for_selector("#confirm:not([hidden])")
    page.click("#submit-signature")
    error = page.locator("#sign-error")
    expect(error).to_be_visible()
    assert "署名がありません" in error.inner_text()
    box = error.bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= 1024, box  # beside the button
    shot(page, "tablet-empty-signature-ja")
    choose(page, "vi")
    page.click("#submit-signature")
    expect(error).to_contain_text("Chưa có chữ ký")
    shot(page, "tablet-empty-signature-vi")
    assert not page.errors


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_the_tablet_speaks_the_residents_language(
    tablet_at: Callable[[int, int], tuple[Any, FakeTablet]], lang: str
) -> None:
    page, fake = tablet_at(1024, 768)
    choose(page, lang)
    welcome = page.inner_text("#welcome")
    assert not any(word in welcome for word in JAPANESE), welcome
    fake.ask_pin("job-1")
    page.wait_for_selector("#pin:not([hidden])")
    pin = page.inner_text("#pin")
    assert not any(word in pin for word in JAPANESE), pin
    fake.view = {**fake.view, "pin_request": None}
    fake.confirm()
    page.wait_for_selector("#confirm:not([hidden])")
    record = page.inner_text("#record")
    # 続柄, sexes, certificates and dates in the resident's language; names and addresses as written
    japanese_only = ("世帯主", "住民票の写し", "令和", "通")  # 妻, 男, 女 are Chinese too
    for japanese in japanese_only + (() if lang == "zh-Hans" else ("妻", "男", "女")):
        assert japanese not in record, (japanese, record)
    assert "1copies" not in record and "1bản" not in record
    expected_copies = {
        "en": "2 copies",
        "zh-Hans": "2份",
        "ko": "2통",
        "vi": "2 bản",
        "pt": "2 vias",
    }
    assert expected_copies[lang] in record, record
    page.screenshot(path=str(ARTIFACTS / f"resident-tablet-confirm-{lang}.png"), full_page=True)
    assert not page.errors


# --- the ticket machine and the phone page ---------------------------------------------------


def test_the_follow_page_of_an_english_ticket_says_which_counter(
    live_server: str, browser: Any
) -> None:
    """Issued in English on the ticket machine: its phone page opens in English and, when the
    clerk calls it, says which counter to go to."""
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="ja-JP")
    machine = context.new_page()
    machine.goto(f"{live_server}/ticket/#token={DEMO_TICKET_MACHINE_TOKEN}")
    machine.click("#languages button[data-lang='en']")
    machine.get_by_role("button", name="Certificates").click()
    machine.wait_for_selector("#issued:not(.hidden)")
    expect(machine.locator("#issued h1")).to_be_visible()
    qr_url = machine.locator("#qr").get_attribute("src") or ""
    assert "lang=en" in qr_url, qr_url
    context.close()

    # the follow URL the slip and the QR carry
    with httpx.Client(base_url=live_server, trust_env=False, timeout=10) as http:
        svg = http.get(qr_url).text
    assert "<svg" in svg
    headers = {"authorization": f"Bearer {DEMO_TICKET_MACHINE_TOKEN}"}
    with httpx.Client(base_url=live_server, headers=headers, trust_env=False, timeout=10) as http:
        queues = http.get("/api/v1/ticket-machine/queues").json()["queues"]
        queue = next(q for q in queues if q["prefix"] == "C")
        issued = http.post("/api/v1/tickets", json={"queue_id": queue["id"], "lang": "en"}).json()
    assert "lang=en" in issued["follow_url"]

    phone_context = browser.new_context(viewport={"width": 390, "height": 800}, locale="ja-JP")
    phone = phone_context.new_page()
    phone.goto(issued["follow_url"])
    phone.wait_for_selector("#number:has-text('C-')")
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.locator("h1")).to_be_visible()
    assert "お待ち" not in phone.inner_text("main")
    clerk = Clerk(live_server)
    for _ in range(10):  # everyone ahead, then this ticket
        called = clerk.call_next("5")
        if called["id"] == issued["ticket"]["id"]:
            break
    phone.wait_for_selector("body[data-status='called']")
    state = phone.inner_text("#state")
    assert "You are called" in state and "counter 5" in state.lower(), state
    assert phone.evaluate("window.madoguchiAlerts") >= 1  # vibrated and beeped
    phone.screenshot(path=str(ARTIFACTS / "resident-follow-called-en.png"))
    phone_context.close()


def test_the_ticket_machine_fills_a_portrait_kiosk(live_server: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{live_server}/ticket/#token={DEMO_TICKET_MACHINE_TOKEN}")
    buttons = page.locator("#purposes button.purpose")
    buttons.first.wait_for()
    boxes = [buttons.nth(i).bounding_box() for i in range(buttons.count())]
    assert all(b and b["height"] >= 200 and b["width"] >= 900 for b in boxes), boxes
    bottom = max(b["y"] + b["height"] for b in boxes if b)
    assert bottom >= 1920 * 0.7, f"the buttons end at {bottom}px of 1920"
    assert bottom <= 1920, bottom
    family = buttons.first.evaluate("b => getComputedStyle(b).fontFamily")
    assert "sans-serif" in family and "Mincho" not in family, family
    size = float(buttons.first.evaluate("b => getComputedStyle(b).fontSize").removesuffix("px"))
    assert size >= 48, size
    shot(page, "ticket-1080x1920-ja")
    context.close()


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_ticket_machine_and_follow_page_in_each_language(
    live_server: str, browser: Any, lang: str
) -> None:
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{live_server}/ticket/#token={DEMO_TICKET_MACHINE_TOKEN}")
    page.locator("#purposes button").first.wait_for()
    page.click(f"#languages button[data-lang='{lang}']")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    page.wait_for_timeout(300)
    choose_text = page.inner_text("#choose")
    assert "ご用件" not in choose_text and "待ち" not in choose_text, choose_text
    shot(page, f"ticket-choose-{lang}")
    page.locator("#purposes button").first.click()
    page.wait_for_selector("#issued:not(.hidden)")
    issued_text = page.inner_text("#issued")
    assert "あなたの前" not in issued_text and "戻る" not in issued_text, issued_text
    shot(page, f"ticket-issued-{lang}")
    qr_url = page.locator("#qr").get_attribute("src") or ""
    assert f"lang={lang}" in qr_url
    context.close()

    headers = {"authorization": f"Bearer {DEMO_TICKET_MACHINE_TOKEN}"}
    with httpx.Client(base_url=live_server, headers=headers, trust_env=False, timeout=10) as http:
        queues = http.get("/api/v1/ticket-machine/queues").json()["queues"]
        issued = http.post(
            "/api/v1/tickets", json={"queue_id": queues[0]["id"], "lang": lang}
        ).json()
    phone_context = browser.new_context(viewport={"width": 390, "height": 800}, locale="ja-JP")
    phone = phone_context.new_page()
    phone.goto(issued["follow_url"])
    phone.wait_for_selector("#number:not(:has-text('—'))")
    expect(phone.locator("html")).to_have_attribute("lang", lang)
    text = phone.inner_text("main")
    assert not any(word in text for word in ("お待ち", "あなたの前", "待ち時間", "自動で更新")), (
        text
    )
    phone.screenshot(path=str(ARTIFACTS / f"resident-follow-{lang}.png"))
    phone_context.close()


# --- the display board ------------------------------------------------------------------------


def test_the_display_board_shows_japanese_and_the_other_languages_in_turn(
    live_server: str, browser: Any
) -> None:
    """MADOGUCHI_DISPLAY_LANGUAGES (all six here): Japanese always, the others take turns."""
    from backend.seed import DEMO_DISPLAY_TOKEN

    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{live_server}/display/?rotate=2#token={DEMO_DISPLAY_TOKEN}")  # 2 s a turn
    page.wait_for_selector("body[data-live='on']")
    headers = {"authorization": f"Bearer {DEMO_TICKET_MACHINE_TOKEN}"}
    with httpx.Client(base_url=live_server, headers=headers, trust_env=False, timeout=10) as http:
        queues = http.get("/api/v1/ticket-machine/queues").json()["queues"]
        queue = next(q for q in queues if q["prefix"] == "C")
        http.post("/api/v1/tickets", json={"queue_id": queue["id"]}).raise_for_status()
    clerk = Clerk(live_server)
    called = clerk.call_next("5")
    expect(page.locator("#latest-number")).to_have_text(called["display_number"])
    expect(page.locator("#latest-counter")).to_contain_text("へお越しください")
    seen: dict[str, str] = {}
    expected = {
        "en": "Please go to counter 5",
        "zh-Hans": "请到5号窗口",
        "ko": "5번 창구로 와 주십시오",
        "vi": "Vui lòng đến quầy số 5",
        "pt": "Dirija-se ao guichê 5",
    }
    for _ in range(5):
        second = page.get_attribute("body", "data-second") or ""
        expect(page.locator("#latest-counter-2")).to_have_text(expected[second])
        seen[second] = page.inner_text("main")
        if second in ("ko", "vi", "zh-Hans"):
            shot(page, f"display-{second}")
        # the page's CSP forbids eval (wait_for_function): poll from Python
        expect(page.locator("body")).not_to_have_attribute("data-second", second, timeout=12000)
    assert set(seen) == set(expected), seen
    context.close()


@pytest.mark.parametrize("screen", ["tablet", "ticket", "follow", "display"])
def test_every_message_is_in_the_six_languages(live_server: str, page: Any, screen: str) -> None:
    """No string of a resident screen falls back to English or Japanese in another language."""
    page.goto(f"{live_server}/{screen}/")
    page.wait_for_load_state("load")
    missing = page.evaluate("() => I18n.missing(window.madoguchiMessages)")
    assert missing == [], missing
    assert page.evaluate("() => I18n.CODES") == list(LANGUAGES)
