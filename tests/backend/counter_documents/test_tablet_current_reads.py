"""``GET /tablet/current`` reads each row once: the tenant's state (its row, catalog and
layouts: the ETag's part and the visit's preparation's key) and the counter's name (the ETag's
version statement names it) are not read again to build the view."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.backend.counter.conftest import Clerk
from tests.backend.counter_documents.test_counter_flow_api import moving_in_visit, tablet_headers
from tests.helpers.sql import statements

CURRENT = "/api/v1/tablet/current"


def test_the_view_of_a_visit_on_the_tablet_reads_the_tenant_and_the_counter_once(
    clerk: Clerk, db: Session, client: TestClient
) -> None:
    vid = moving_in_visit(clerk, db)
    tablet = tablet_headers(db, clerk)
    assert clerk.post(f"/api/v1/visits/{vid}/confirm").status_code == 200
    client.get(CURRENT, headers=tablet)  # the prepared cache filled, the tablet seen
    # The test's requests share one session and transaction: start this one's unit afresh, as
    # a request of its own does (its memo ends with its transaction).
    db.info.pop("request_memo", None)
    with statements(db) as sent:
        shown = client.get(CURRENT, headers=tablet)
    assert shown.status_code == 200 and shown.json()["visit"]["id"] == vid
    assert shown.json()["counter"] == clerk.counter.name
    selects = [s for s in sent if s.startswith("SELECT")]
    tenant_reads = [s for s in selects if "FROM tenants" in s]
    counter_reads = [s for s in selects if "FROM counters" in s]
    assert len(tenant_reads) == 1, tenant_reads
    assert len(counter_reads) == 1, counter_reads  # the ETag's version statement
    # The version, the tenant, the jobs, the visit (no agent job here); the tablet's device is
    # known to the credential cache (backend/identity/auth/cache.py) since the first request.
    assert len(selects) == 4, selects
