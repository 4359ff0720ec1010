"""The back-office console in real Chromium: login, a case with its document and deliveries.

(Here rather than under tests/kiosk/ to reuse the outbox fixtures.)
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from backend.counter.models import Document
from backend.platform.db import session_scope
from backend.platform.outbox import delivery
from backend.seed import DEMO_PASSWORD


@pytest.mark.browser
def test_back_office_sees_the_case_its_document_and_delivery_states(
    committed_db: Any, live_server: str, handoff_helpers: Any, browser: Any
) -> None:
    h = handoff_helpers
    with session_scope(unscoped=True) as session:
        h.add_destination(session, committed_db.tenant_id, name="feed", kind="pull")
        h.add_destination(
            session, committed_db.tenant_id,
            **h.webhook_destination("http://127.0.0.1:9/", max_attempts=1),
        )  # fmt: skip
        (message, _) = h.close_visits(session, committed_db.tenant_id, 1)
        session.add(
            Document(
                tenant_id=committed_db.tenant_id, visit_id=message.key, form="moving-in",
                filename="転入届.pdf", content_type="application/pdf",
                sha256=hashlib.sha256(b"x").hexdigest(), content=b"x",
            )
        )  # fmt: skip
    while delivery.deliver_due():
        pass

    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{live_server}/backoffice/deliveries.html")
        page.fill("input[name=username]", "backoffice")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("#login button[type=submit]")
        page.wait_for_selector("#cases tbody tr")
        assert not page.is_visible("#login")
        row = page.locator("#cases tbody tr").first
        assert "転入" in row.inner_text()
        assert row.locator("a", has_text="転入届.pdf").count() == 1
        text = row.inner_text()
        assert "取得待ち（pull）" in text and "送信停止（要対応）" in text
        assert "再送" not in text  # only an admin may replay
        row.locator("button", has_text="履歴").last.click()
        page.wait_for_selector("#attempts[open]")
        assert "失敗" in page.locator("#attempts-list").inner_text()
    finally:
        context.close()
