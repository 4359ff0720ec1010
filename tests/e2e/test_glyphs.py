"""No missing glyph on any screen in any language: each resident screen (and the staff console)
rendered in Chromium in each language, its text checked against the fonts the server serves
(tests/helpers/glyphs.py), and the fonts shown to load.

A resident's tablet, ticket machine or phone is another device than the server: a character
only an installed font draws is a missing-glyph box there, so coverage is counted from the
served woff2 files alone.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.seed import (
    DEMO_DISPLAY_TOKEN,
    DEMO_PASSWORD,
    DEMO_TENANT_CODE,
    DEMO_TICKET_MACHINE_TOKEN,
)
from tests.e2e.conftest import ARTIFACTS
from tests.helpers.axe import assert_accessible
from tests.helpers.glyphs import FONTS, missing_glyphs

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "kiosk" / "static"
CATALOGS = ROOT / "backend" / "guidance" / "catalogs"
RESIDENT_LANGUAGES = ["ja", "en", "zh", "ko", "vi", "pt"]
# What each language is called on the screens' language buttons.
LANGUAGE_NAMES = {
    "ja": "日本語",
    "en": "English",
    "zh": "中文",
    "ko": "한국어",
    "vi": "Tiếng Việt",
    "pt": "Português",
}
RESIDENT_SCREENS = ["tablet", "ticket", "follow", "display"]
# Rendered text a screen may show besides its page text (placeholders, button values).
_TEXT = """() => [document.title, document.body.textContent,
  ...[...document.querySelectorAll('[placeholder]')].map(e => e.placeholder)].join('\\n')"""


@pytest.fixture(scope="module")
def follow_url(live_server: str) -> str:
    machine = httpx.Client(
        base_url=live_server,
        headers={"Authorization": f"Bearer {DEMO_TICKET_MACHINE_TOKEN}"},
        trust_env=False,
    )
    queues = machine.get("/api/v1/ticket-machine/queues").json()["queues"]
    ticket = machine.post("/api/v1/tickets", json={"queue_id": queues[0]["id"]}).json()
    return str(ticket["follow_url"])


# Each screen at the size of its device: tablet, portrait kiosk, phone, board, counter PC.
SIZES = {
    "tablet": (1024, 768),
    "ticket": (1080, 1920),
    "follow": (390, 800),
    "display": (1920, 1080),
    "staff": (1366, 768),
}


@pytest.fixture
def screen(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    params = getattr(request.node, "callspec", None)
    width, height = SIZES[params.params.get("name", "staff") if params else "staff"]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="ja-JP")
    yield context.new_page()
    context.close()


def open_screen(page: Any, name: str, base_url: str, follow_url: str) -> None:
    urls = {
        "tablet": f"{base_url}/tablet/",
        "ticket": f"{base_url}/ticket/#token={DEMO_TICKET_MACHINE_TOKEN}",
        "follow": follow_url,
        # the board shows its further languages in turn: one a second here
        "display": f"{base_url}/display/?rotate=1#token={DEMO_DISPLAY_TOKEN}",
        "staff": f"{base_url}/staff/",
    }
    page.goto(urls[name])
    ready = {
        "tablet": "#languages button",
        "ticket": "#purposes button",
        "follow": "#number:has-text('-')",
        "display": "body[data-live='on']",
        "staff": "#login-submit",
    }
    page.wait_for_selector(ready[name])


def page_language(page: Any) -> str:
    return str(page.evaluate("() => document.documentElement.lang"))


def shows(page: Any, language: str) -> bool:
    """The page is in ``language``, or (the display board) shows it beside its first."""
    shown = page.evaluate(
        "() => [document.documentElement.lang, document.body.dataset.second || '']"
    )
    return any(str(code).startswith(language) for code in shown)


def choose_language(page: Any, language: str) -> bool:
    """Switch the screen to ``language`` as a resident would: a button (or option) named in
    that language, or a toggle pressed until the page says it is in that language."""
    if page_language(page).startswith(language):
        return True
    choice = page.locator(
        f"[data-lang^='{language}']:visible, button:visible:text-is('{LANGUAGE_NAMES[language]}')"
    )
    if choice.count():
        choice.first.click()
    else:
        select = page.locator(f"select:has(option[value^='{language}'])")
        if select.count():
            option = select.first.locator(f"option[value^='{language}']").first
            select.first.select_option(option.get_attribute("value"))
        elif page.locator("#lang, #lang-toggle").count():
            toggle = page.locator("#lang, #lang-toggle").first
            for _ in range(len(RESIDENT_LANGUAGES)):
                toggle.click()
                if page_language(page).startswith(language):
                    break
    deadline = time.monotonic() + 8  # the board's turns: one language a second (?rotate=1)
    while not shows(page, language):
        if time.monotonic() > deadline:
            return False  # the screen offers no such language
        time.sleep(0.05)
    return True


def assert_no_missing_glyph(page: Any, where: str) -> str:
    text = str(page.evaluate(_TEXT))
    missing = missing_glyphs(text)
    assert not missing, f"{where}: no served font draws {', '.join(missing)}"
    return text


@pytest.mark.parametrize("language", RESIDENT_LANGUAGES)
@pytest.mark.parametrize("name", RESIDENT_SCREENS)
def test_resident_screen_has_every_glyph(
    live_server: str, follow_url: str, screen: Any, name: str, language: str
) -> None:
    open_screen(screen, name, live_server, follow_url)
    if not choose_language(screen, language):
        # The screens' six languages are issue 20's other half (the strings): until a screen
        # offers a language, this says so rather than passing.
        pytest.xfail(f"the {name} screen offers no {LANGUAGE_NAMES[language]} yet")
    text = assert_no_missing_glyph(screen, f"{name} in {language}")
    if language not in ("ja", "en"):
        assert re.search(r"[^\x00-\x7f]", text), f"{name} in {language} shows only ASCII"
    screen.screenshot(path=str(ARTIFACTS / f"glyphs-{name}-{language}.png"))


@pytest.mark.parametrize("language", ["ja", "en"])
def test_staff_console_has_every_glyph(live_server: str, screen: Any, language: str) -> None:
    open_screen(screen, "staff", live_server, "")
    screen.fill("#tenant-code", DEMO_TENANT_CODE)
    screen.fill("#username", "clerk")
    screen.fill("#password", DEMO_PASSWORD)
    screen.click("#login-submit")
    screen.wait_for_selector("#pick-counter:not([hidden]), #idle:not([hidden])")
    assert choose_language(screen, language)
    assert_no_missing_glyph(screen, f"staff console in {language}")


def test_screen_sources_have_every_glyph() -> None:
    """Every character written in a screen's files, or in the catalog and its translations
    (procedure names, items and counters on the resident's screens and copy), shown in some
    state or message the other tests may not reach, is drawn by the served fonts."""
    files = [p for p in STATIC.rglob("*") if p.suffix in {".js", ".html", ".css"}]
    files += list(CATALOGS.rglob("*.yaml"))
    found = []
    for path in sorted(files):
        if "vendor" in path.parts:
            continue
        missing = missing_glyphs(path.read_text(encoding="utf-8"))
        if missing:
            found.append(f"{path}: {', '.join(missing)}")
    assert len(files) > 20
    assert not found, "\n".join(found)


def test_a_character_no_font_draws_is_reported(
    live_server: str, follow_url: str, screen: Any
) -> None:
    """The check can fail: a private-use character put on a rendered screen is reported."""
    open_screen(screen, "ticket", live_server, follow_url)
    screen.evaluate("() => document.querySelector('h1').append('\\ue000')")
    with pytest.raises(AssertionError, match="U\\+E000"):
        assert_no_missing_glyph(screen, "ticket")
    screen.evaluate("() => document.querySelector('h1').lastChild.remove()")
    assert missing_glyphs("한국어 中文 Tiếng Việt ようこそ") == []


def test_the_fonts_are_served_and_used(live_server: str, browser: Any) -> None:
    """A Korean page downloads the Korean subsets it needs (and not all of them), from this
    server, and Chromium draws its heading with the served font, not an installed one."""
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="ko-KR")
    page = context.new_page()
    fonts: list[tuple[str, int, int]] = []

    def record(response: Any) -> None:
        if "/vendor/fonts/" in response.url and response.url.endswith(".woff2"):
            fonts.append((response.url, response.status, len(response.body())))

    page.on("response", record)
    open_screen(page, "tablet", live_server, "")
    assert choose_language(page, "ko")
    page.evaluate("() => document.fonts.ready.then(() => true)")
    assert page.evaluate("() => document.fonts.check('1em \"Noto Sans KR Variable\"', '한국어')")
    session = page.context.new_cdp_session(page.unchecked)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument")["root"]["nodeId"]
    heading = session.send("DOM.querySelector", {"nodeId": root, "selector": "#languages"})
    used = session.send("CSS.getPlatformFontsForNode", {"nodeId": heading["nodeId"]})["fonts"]
    assert used and all(font["isCustomFont"] for font in used), used
    assert any("KR" in font["familyName"] for font in used), used
    assert all(status == 200 for _url, status, _size in fonts), fonts
    korean = [url for url, _status, _size in fonts if "noto-sans-kr" in url]
    served = len(list((FONTS / "noto-sans-kr").glob("*.woff2")))
    assert 0 < len(korean) < served / 4, f"{len(korean)} of {served} Korean subsets downloaded"
    total = sum(size for _url, _status, size in fonts)
    print(f"tablet in Korean: {len(fonts)} font files, {total / 1024:.0f} KiB")
    context.close()


CLERK_SCREENS = {  # path: (user, what shows once logged in)
    "admin": ("admin", "#console"),
    "report": ("admin", "#figures"),
    "backoffice": ("backoffice", "#console"),
    "backoffice/deliveries.html": ("backoffice", "#console"),
}


@pytest.mark.parametrize("path", sorted(CLERK_SCREENS))
def test_clerk_screen_at_1366(live_server: str, browser: Any, path: str) -> None:
    """Each clerk screen on a counter PC's 1366×768, logged in: axe-checked, no missing glyph,
    a screenshot to look at."""
    user, shown = CLERK_SCREENS[path]
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{live_server}/{path}" + ("" if path.endswith(".html") else "/"))
    page.wait_for_selector("#login", state="visible")  # a new context has no session
    assert_accessible(page, "(login)")
    page.fill("#login [name=tenant_code]", DEMO_TENANT_CODE)
    page.fill("#login [name=username]", user)
    page.fill("#login [name=password]", DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector(shown, state="visible")
    assert_accessible(page, "(logged in)")
    assert_no_missing_glyph(page, path)
    page.screenshot(path=str(ARTIFACTS / f"clerk-{path.replace('/', '-')}.png"))
    context.close()


def test_list_of_screens_and_pair_screen_at_1366(live_server: str, browser: Any) -> None:
    """The two screens without a login: axe-checked (when the page leaves and closes)."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{live_server}/")
    page.wait_for_selector(".screen-list a")
    assert_no_missing_glyph(page, "list of screens")
    page.goto(f"{live_server}/pair/")
    page.wait_for_selector("#code")
    assert_no_missing_glyph(page, "pair")
    page.screenshot(path=str(ARTIFACTS / "clerk-pair.png"))
    context.close()
