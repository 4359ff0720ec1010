"""The managers' journey report in real Chromium (issue 21): the 転入 before/after chart, and the
PDF and CSV downloads holding the figures shown on the page (the PDF read with pdftotext)."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE
from tests.e2e.conftest import ARTIFACTS, BIN, server_env

pytestmark = pytest.mark.browser


def test_manager_sees_before_after_and_downloads_pdf_and_csv(
    browser: Any, live_server: str, live_database: str, tmp_path: Path
) -> None:
    env = server_env(live_database, live_server)
    seeded = subprocess.run(
        [BIN / "madoguchi", "seed", "--history-days", "14"], env=env, capture_output=True
    )
    assert seeded.returncode == 0, seeded.stderr
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="ja-JP", accept_downloads=True
    )
    page = context.new_page()
    page.goto(f"{live_server}/report/")
    page.fill("#tenant-code", DEMO_TENANT_CODE)
    page.fill("#login [name=username]", "admin")
    page.fill("#login [name=password]", DEMO_PASSWORD)
    page.keyboard.press("Enter")

    chart = page.locator("#chart-before-after-moving-in")
    expect(chart).to_be_visible()
    expect(chart).to_contain_text("転入：待ち時間と手続き時間")
    expect(chart).to_contain_text("以前（調査）")
    row = page.locator("#figures tbody tr[data-event=moving-in]")
    visits = row.locator("td").nth(1).inner_text()
    wait_median = row.locator("td").nth(2).inner_text()
    assert int(visits) > 0
    page.screenshot(path=str(ARTIFACTS / "journey-report-1366x768.png"))
    page.screenshot(path=str(ARTIFACTS / "journey-report-full.png"), full_page=True)

    with page.expect_download() as pdf_download:
        page.click("#pdf")
    pdf = tmp_path / "report.pdf"
    pdf_download.value.save_as(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True).stdout
    pdf_text = text.decode("utf-8")
    moving_in = next(line for line in pdf_text.splitlines() if line.strip().startswith("転入"))
    assert moving_in.split()[1:3] == [visits, wait_median]
    summary = page.locator("#summary").inner_text()
    assert f"来庁 {summary.split('来庁 ')[1].split(' 件')[0]} 件" in pdf_text

    with page.expect_download() as csv_download:
        page.click("#csv")
    rows = list(csv.reader(io.StringIO(Path(csv_download.value.path()).read_text("utf-8-sig"))))
    by_event = {r[0]: r for r in rows[1:]}
    assert by_event["moving-in"][2:4] == [visits, wait_median]
    assert by_event["moving-in"][13] != ""  # the baseline surveys' count
    context.close()


def test_the_alert_threshold_is_kept_by_the_server(
    browser: Any, live_server: str, live_database: str
) -> None:
    """Set on one screen, the threshold is the municipality's: a fresh browser sees it."""
    env = server_env(live_database, live_server)
    seeded = subprocess.run(
        [BIN / "madoguchi", "seed", "--history-days", "3"], env=env, capture_output=True
    )
    assert seeded.returncode == 0, seeded.stderr

    def supervisor_tab() -> tuple[Any, Any]:
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ja-JP")
        page = context.new_page()
        page.goto(f"{live_server}/report/")
        page.fill("#tenant-code", DEMO_TENANT_CODE)
        page.fill("#login [name=username]", "admin")
        page.fill("#login [name=password]", DEMO_PASSWORD)
        page.keyboard.press("Enter")
        expect(page.locator("#operations tbody tr[data-event=moving-in]")).to_be_visible()
        page.click("#t-supervisor")
        expect(page.locator("#queue-table tbody tr").first).to_be_visible()
        return context, page

    first, page = supervisor_tab()
    expect(page.locator("#threshold")).to_have_value("30")
    page.fill("#threshold", "12")
    page.locator("#threshold").press("Enter")
    expect(page.locator("#status")).to_contain_text("保存しました")
    page.screenshot(path=str(ARTIFACTS / "journey-supervisor-threshold.png"), full_page=True)
    first.close()

    second, page = supervisor_tab()  # another browser: no localStorage of the first
    expect(page.locator("#threshold")).to_have_value("12")
    second.close()
