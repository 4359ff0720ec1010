"""axe-core in every Chromium test: each page a test reaches is checked, and a serious or
critical violation fails the test.

``tests/conftest.py`` hands tests a ``browser`` wrapped by :class:`CheckedBrowser`: a page is
checked before it navigates away (``goto``, ``reload``), before it closes and before its context
closes (which the ``page`` fixture does at the end of each test). A test checks a state in the
middle of a screen (a dialog, an error, the called ticket) with :func:`assert_accessible`.

axe-core comes from npm (``kiosk/node_modules/axe-core``, installed by scripts/bootstrap.sh);
it is evaluated through the DevTools protocol, which the screens' CSP (no inline script, no
eval) does not block, and is not served to any screen.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, ClassVar

AXE_JS = Path(__file__).resolve().parents[2] / "kiosk" / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.2 A/AA and axe's best practices; only some of them fail a test (below).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING_IMPACTS = frozenset({"serious", "critical"})
# Lower-impact rules that issue 20 found on the screens and that stay fixed.
ALSO_ENFORCED = frozenset({"page-has-heading-one", "empty-table-header"})

_RUN = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: { type: "tag", values: tags }, resultTypes: ["violations"],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({ target: n.target.join(" "), summary: n.failureSummary })),
  }));
}"""


@cache
def axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def violations(page: Any) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now (every impact)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    result: list[dict[str, Any]] = page.evaluate(_RUN, TAGS)
    return result


def failing(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in found if v["impact"] in FAILING_IMPACTS or v["id"] in ALSO_ENFORCED]


def describe(page_url: str, found: list[dict[str, Any]]) -> str:
    lines = [f"axe-core: {len(found)} violation(s) (serious, critical or enforced) on {page_url}"]
    for violation in found:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            summary = " ".join(str(node["summary"]).split())[:300]
            lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)


class _Switch:
    """Checks are skipped once a test has failed (its screen may be half-way anywhere)."""

    enabled = True
    seen: ClassVar[set[tuple[str, str]]] = set()  # (path, state) checked once in this test


def enable_checks(enabled: bool) -> None:
    """Called by tests/conftest.py: on at each test's start, off once it has failed."""
    _Switch.enabled = enabled
    if enabled:
        _Switch.seen.clear()


def assert_accessible(page: Any, state: str = "", *, once: bool = False) -> None:
    """Fail on any serious or critical axe violation of the page as it is now.

    ``once``: a helper that reaches the same state many times in a test (a step of the
    visit, the PIN pad) checks it the first time only."""
    raw = getattr(page, "unchecked", page)
    url = str(raw.url)
    if not _Switch.enabled or not url.startswith("http") or raw.is_closed():
        return
    if once:
        key = (url.split("#")[0].split("?")[0], state)
        if key in _Switch.seen:
            return
        _Switch.seen.add(key)
    raw.wait_for_load_state("domcontentloaded")
    found = failing(violations(raw))
    assert not found, describe(f"{url} {state}".strip(), found)


class CheckedPage:
    """A Playwright page whose state is checked before it navigates away or closes."""

    def __init__(self, page: Any) -> None:
        self.unchecked = page

    def goto(self, url: str, **kwargs: Any) -> Any:
        assert_accessible(self.unchecked, "(before leaving it)")
        return self.unchecked.goto(url, **kwargs)

    def reload(self, **kwargs: Any) -> Any:
        assert_accessible(self.unchecked, "(before reloading it)")
        return self.unchecked.reload(**kwargs)

    def close(self, **kwargs: Any) -> None:
        if not self.unchecked.is_closed():
            assert_accessible(self.unchecked, "(before closing it)")
        self.unchecked.close(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.unchecked, name)


class CheckedContext:
    """A browser context whose pages are checked; all of them once more when it closes."""

    def __init__(self, context: Any) -> None:
        self.unchecked = context

    def new_page(self, **kwargs: Any) -> CheckedPage:
        return CheckedPage(self.unchecked.new_page(**kwargs))

    def close(self, **kwargs: Any) -> None:
        try:
            for page in self.unchecked.pages:
                assert_accessible(page, "(at the end of the test)")
        finally:
            self.unchecked.close(**kwargs)

    def __enter__(self) -> CheckedContext:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None:
            enable_checks(False)
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.unchecked, name)


class CheckedBrowser:
    """The ``browser`` fixture: contexts and pages it makes are checked by axe-core."""

    def __init__(self, browser: Any) -> None:
        self.unchecked = browser

    def new_context(self, **kwargs: Any) -> CheckedContext:
        return CheckedContext(self.unchecked.new_context(**kwargs))

    def new_page(self, **kwargs: Any) -> CheckedPage:
        return CheckedPage(self.unchecked.new_page(**kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.unchecked, name)
