"""Browser tests: a real uvicorn server (own SQLite database, migrated and seeded) and Chromium.

Shared by every screen's browser tests: ``live_server`` (base URL), ``browser``, ``page``.
Screenshots go to tests/e2e/artifacts/ (gitignored). Under CI=true a missing Chromium or a
server that does not start is a failure, not a skip.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import require_service
from tests.helpers.axe import assert_accessible
from tests.helpers.net import free_port

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
BIN = Path(sys.executable).parent


def server_env(database_url: str, base_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MADOGUCHI_DATABASE_URL=database_url,
        MADOGUCHI_ENVIRONMENT="development",
        MADOGUCHI_PUBLIC_URL=base_url,
        MADOGUCHI_LOG_LEVEL="WARNING",
    )
    return env


def start_server(database_url: str, *, seed: bool = True) -> tuple[subprocess.Popen[bytes], str]:
    """Migrate (and seed) ``database_url`` and serve it on a free loopback port."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = server_env(database_url, base_url)
    subprocess.run([BIN / "madoguchi", "db", "upgrade"], env=env, check=True, capture_output=True)
    if seed:
        subprocess.run([BIN / "madoguchi", "seed"], env=env, check=True, capture_output=True)
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / f"server-{port}.log").open("wb")
    process = subprocess.Popen(
        [BIN / "madoguchi", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90  # a loaded 2-core machine takes long to import the app
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited: {process.stderr.read().decode() if process.stderr else ''}"
            )
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1, trust_env=False).status_code == 200:
                return process, base_url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("server did not answer /healthz within 90 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def live_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, database URL) of a running backend on its own migrated + seeded SQLite
    database: started as ``make run`` starts it; operator commands run against the URL."""
    database_url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.db'}"
    try:
        process, base_url = start_server(database_url)
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        require_service(False, f"the backend server could not start: {exc}")
        raise
    yield base_url, database_url
    stop_server(process)


@pytest.fixture(scope="session")
def live_server(live_system: tuple[str, str]) -> str:
    """Base URL of the running backend (``live_system``)."""
    return live_system[0]


@pytest.fixture(scope="session")
def live_database(live_system: tuple[str, str]) -> str:
    """The URL of the running backend's database (for commands run beside the server)."""
    return live_system[1]


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context and page; a screenshot of the end state is kept in artifacts/."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    name = request.node.name.replace("/", "_").replace("[", "_").replace("]", "")
    try:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    finally:
        context.close()


# --- the clerk's effort per life event, printed at the end of a normal pytest run -----------

# Rows go to a file of this run, which the summary at the end reads.
EFFORT_DIR = Path(__file__).resolve().parents[2] / "var" / "test-logs"


def _effort_file() -> Path:
    return EFFORT_DIR / f"clerk-effort-{os.environ.get('MADOGUCHI_TEST_RUN', os.getpid())}.jsonl"


def record_effort(flow: str, actions: int, typed_characters: int, members: int) -> None:
    EFFORT_DIR.mkdir(parents=True, exist_ok=True)
    row = {"flow": flow, "actions": actions, "typed": typed_characters, "members": members}
    with _effort_file().open("a", encoding="utf-8") as file:
        file.write(json.dumps(row) + "\n")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _effort_file().exists():
        return
    rows = [json.loads(line) for line in _effort_file().read_text(encoding="utf-8").splitlines()]
    terminalreporter.write_sep("-", "clerk effort per life event (staff console, Chromium)")
    for row in rows:
        terminalreporter.write_line(
            f"{row['flow']:<18} members {row['members']}  clerk actions {row['actions']:>3}"
            f"  typed characters {row['typed']:>4}"
        )


# --- the staff console's questions, answered through the UI -------------------------------

# The plainest answer to what is left, in the clerk's words (select values, typed text).
SELECT_ANSWERS = {"nationality": "JP", "insurance": "national_health"}
TEXT_ANSWERS = {"relationship": "子", "birth_date": "H2.1.1"}


def settled(page: Any, action: Any) -> None:
    """Run ``action`` and wait until the staff console has rendered its result and has
    nothing more in flight (``body[data-rev]`` counts finished renders, ``body[data-busy]``
    is "0" when no save or load is pending): an event, not a timer."""
    before = page.get_attribute("body", "data-rev") or ""
    action()
    page.wait_for_function(
        "before => (document.body.dataset.rev || '') !== before"
        " && document.body.dataset.busy === '0'",
        arg=before,
        timeout=20000,
    )


def to_step(clerk: Any, step: str) -> None:
    """Open a step of the visit (① intake … ⑥ done) from the step bar, as the clerk would:
    one counted click, unless the console already shows it."""
    page = clerk.page
    if not page.is_visible(f"#step-{step}"):
        settled(page, lambda: clerk.click(f"#steps button[data-step='{step}']"))
        page.wait_for_selector(f"#step-{step}:not([hidden])")
    assert_accessible(page, f"step {step}", once=True)


def answer_shown_questions(clerk: Any, limit: int = 60) -> None:
    """On step ③, answer whatever the console asks until no question is open, through the
    clerk's counted hands (``clerk.click``, ``clerk.type``, ``clerk.actions``): the catalog
    changes, so the loop follows what is shown, not a fixed list. Then on to step ④, where
    nothing may block 「タブレットで確認」 (no question open, no blocking finding)."""
    page = clerk.page
    to_step(clerk, "questions")
    for _ in range(limit):
        page.wait_for_function("() => document.body.dataset.busy !== '1'", timeout=20000)
        rows = page.locator("#questions .question")
        if rows.count() == 0:
            break
        if page.locator("#all-no").count():
            settled(page, lambda: clerk.click("#all-no"))
        else:
            _answer_one(clerk, str(rows.first.get_attribute("data-question")))
    assert page.locator("#questions .question").count() == 0, "questions still open"
    to_step(clerk, "forms")
    reasons = page.inner_text("#open-list")
    assert page.get_attribute("#open-block", "hidden") is not None, reasons
    assert page.is_enabled("#send-tablet")


def _answer_one(clerk: Any, question: str) -> None:
    page = clerk.page
    field = question.rsplit(".", 1)[-1]
    row = f"#questions [data-question='{question}']"
    if page.locator(f"{row} select").count():
        value = SELECT_ANSWERS.get(field) or page.eval_on_selector(
            f"{row} select", "s => [...s.options].map(o => o.value).find(v => v)"
        )

        def pick() -> None:
            clerk.actions += 1
            page.select_option(f"{row} select", value=value)

        settled(page, pick)
    elif page.locator(f"{row} input").count():
        settled(page, lambda: clerk.type(f"{row} input", TEXT_ANSWERS.get(field, "1")))
    else:
        settled(page, lambda: clerk.click(f"{row} button:text-is('いいえ')"))
