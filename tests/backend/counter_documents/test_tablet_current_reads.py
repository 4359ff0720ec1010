"""``GET /tablet/current`` reads each row once: the tenant's state (its row, catalog and
layouts: the ETag's part and the visit's preparation's key) and the counter's name (the ETag's
version statement names it) are not read again to build the view."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from backend.counter import documents, prepared_cache
from backend.counter.models import Visit
from backend.guidance import service as guidance_service
from backend.identity.auth.tokens import hash_token
from backend.identity.devices.models import Device, DeviceKind
from backend.identity.tenants.models import Counter
from backend.layouts import service as layouts
from forms.layout import layout_dirs
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
    # The version (the tenant's rows with it), the jobs, the visit (no agent job here); the
    # tablet's device is known to the credential cache (backend/identity/auth/cache.py) since
    # the first request.
    assert len(selects) == 3, selects


def test_the_view_of_a_visit_still_with_the_clerk_takes_it_from_the_version_statement(
    clerk: Clerk, db: Session, client: TestClient
) -> None:
    """A welcome (the visit still with the clerk) shows the visit's id and language, which the
    ETag's version statement has just read: the visit and its members are not loaded again."""
    vid = moving_in_visit(clerk, db)
    tablet = tablet_headers(db, clerk)
    client.get(CURRENT, headers=tablet)  # the tablet seen
    db.info.pop("request_memo", None)
    with statements(db) as sent:
        shown = client.get(CURRENT, headers=tablet)
    assert shown.status_code == 200
    assert shown.json()["visit"] is None and shown.json()["visit_id"] == vid
    assert shown.json()["resident_lang"] == db.get(Visit, vid).resident_lang  # type: ignore[union-attr]
    selects = [s for s in sent if s.startswith("SELECT")]
    assert len(selects) == 2, selects  # the version statement, the jobs
    # Once confirmed, the visit is on the tablet: loaded with its members for its record.
    assert clerk.post(f"/api/v1/visits/{vid}/confirm").status_code == 200
    db.info.pop("request_memo", None)
    assert client.get(CURRENT, headers=tablet).json()["visit"]["id"] == vid


def test_the_etag_keys_the_prepared_visit_as_the_clerk_did_and_a_304_is_one_statement(
    clerk: Clerk, db: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tenant's state the version statement reads (with an active catalog and layout)
    is the key the clerk's confirmation prepared the visit under: the tablet builds nothing.
    A poll answered 304 reads that one statement; renaming the tenant changes the answer."""
    vid = moving_in_visit(clerk, db)
    tablet = tablet_headers(db, clerk)
    source = guidance_service.DEFAULT_CATALOG_PATH.read_text(encoding="utf-8")
    catalog = guidance_service.upload(db, clerk.tenant.id, source, actor="t")
    guidance_service.activate(db, clerk.tenant.id, catalog.number, actor="t")
    text = (layout_dirs()[-1] / "checklist.yaml").read_text(encoding="utf-8")
    layout = layouts.upload(db, clerk.tenant.id, "checklist", text, None, note=None, actor="t")
    layouts.activate(db, clerk.tenant.id, "checklist", layout.number, actor="t")
    prepared_cache.clear()
    assert clerk.post(f"/api/v1/visits/{vid}/confirm").status_code == 200  # builds, keyed
    built: list[str] = []
    build = documents.build_prepared

    def counting(session: Session, visit: Visit) -> documents.Prepared:
        built.append(visit.id)
        return build(session, visit)

    monkeypatch.setattr(documents, "build_prepared", counting)
    db.info.pop("request_memo", None)
    shown = client.get(CURRENT, headers=tablet)
    assert shown.status_code == 200 and shown.json()["visit"]["id"] == vid
    assert built == []
    assert shown.json()["visit"]["record"]["tenant"]["name"] == clerk.tenant.name
    etag = shown.headers["etag"]
    db.info.pop("request_memo", None)
    with statements(db) as sent:
        again = client.get(CURRENT, headers={**tablet, "if-none-match": etag})
    assert again.status_code == 304
    assert len([s for s in sent if s.startswith("SELECT")]) == 1, sent
    clerk.tenant.name = "改名市"
    db.flush()
    renamed = client.get(CURRENT, headers={**tablet, "if-none-match": etag})
    assert renamed.status_code == 200 and renamed.headers["etag"] != etag
    assert renamed.json()["visit"]["record"]["tenant"]["name"] == "改名市"
    assert built == [vid]


def _tablet(db: Session, clerk: Clerk, token: str, counter_id: str | None) -> dict[str, str]:
    db.add(
        Device(
            tenant_id=clerk.tenant.id,
            kind=DeviceKind.TABLET.value,
            name=token,
            counter_id=counter_id,
            token_hash=hash_token(token),
        )
    )
    db.flush()
    return {"authorization": f"Bearer {token}"}


def test_each_tablet_sees_its_own_counter_through_the_statement_built_once(
    clerk: Clerk, db: Session, client: TestClient
) -> None:
    """The version statement and the latest visit's are built once and take the counter as
    a parameter: another counter's tablet (or one paired with none) never sees this visit."""
    vid = moving_in_visit(clerk, db)
    assert clerk.post(f"/api/v1/visits/{vid}/confirm").status_code == 200
    other = Counter(
        tenant_id=clerk.tenant.id, office_id=clerk.counter.office_id, code="T9", name="窓口T9"
    )
    db.add(other)
    db.flush()
    own = _tablet(db, clerk, "tablet-own", clerk.counter.id)
    beside = _tablet(db, clerk, "tablet-beside", other.id)
    unpaired = _tablet(db, clerk, "tablet-unpaired", None)
    for _ in range(2):  # the second round through the statements already built
        mine = client.get(CURRENT, headers=own)
        assert mine.json()["visit"]["id"] == vid and mine.json()["counter"] == clerk.counter.name
        theirs = client.get(CURRENT, headers=beside)
        assert theirs.json()["visit"] is None and theirs.json()["counter"] == "窓口T9"
        assert theirs.headers["etag"] != mine.headers["etag"]
        nobody = client.get(CURRENT, headers=unpaired)
        assert nobody.status_code == 200 and nobody.json()["counter"] is None
        assert nobody.json()["visit"] is None
        etag = nobody.headers["etag"]
        assert client.get(CURRENT, headers={**unpaired, "if-none-match": etag}).status_code == 304


def test_a_304_look_runs_its_version_statement_outside_the_orm(
    clerk: Clerk, db: Session, client: TestClient
) -> None:
    """The tablet's most frequent request: its one statement goes straight to the connection
    (the ORM's execution of it cost ≈0.35 ms of a 2.2 ms 304, bench/poll_cost.py)."""
    vid = moving_in_visit(clerk, db)
    tablet = tablet_headers(db, clerk)
    first = client.get(CURRENT, headers=tablet)
    assert first.status_code == 200 and first.json()["visit_id"] == vid
    orm_executions: list[str] = []

    def seen(state: ORMExecuteState) -> None:
        orm_executions.append(str(state.statement)[:60])

    db.info.pop("request_memo", None)
    event.listen(Session, "do_orm_execute", seen)
    try:
        with statements(db) as sent:
            again = client.get(CURRENT, headers={**tablet, "if-none-match": first.headers["etag"]})
    finally:
        event.remove(Session, "do_orm_execute", seen)
    assert again.status_code == 304
    assert len([s for s in sent if s.startswith("SELECT")]) == 1
    assert orm_executions == []
