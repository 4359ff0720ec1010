"""The record and guidance are built once per state of the visit, not once per request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from backend.counter import documents, prepared_cache, service
from backend.counter.models import Visit
from backend.guidance import service as guidance_service
from tests.backend.counter.conftest import Clerk
from tests.backend.counter_documents.test_counter_flow_api import moving_in_visit


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The visits whose record and guidance were actually built, in order."""
    built: list[str] = []
    build = documents.build_prepared

    def counting(session: Session, visit: Visit) -> documents.Prepared:
        built.append(visit.id)
        return build(session, visit)

    monkeypatch.setattr(documents, "build_prepared", counting)
    prepared_cache.clear()
    yield built
    prepared_cache.clear()


def test_the_console_refreshing_builds_once(clerk: Clerk, db: Session, builds: list[str]) -> None:
    vid = moving_in_visit(clerk, db)
    builds.clear()  # the set-up answers the open questions: each answer is a change
    prepared_cache.clear()
    first = clerk.post(f"/api/v1/visits/{vid}/guidance").json()
    forms = clerk.get(f"/api/v1/visits/{vid}/forms").json()["forms"]
    clerk.get(f"/api/v1/visits/{vid}/forms/{forms[0]['form']}/preview")
    again = clerk.post(f"/api/v1/visits/{vid}/guidance").json()
    assert again == first and forms
    assert builds == [vid]


def test_a_change_to_the_visit_or_a_member_builds_again(
    clerk: Clerk, db: Session, builds: list[str]
) -> None:
    vid = moving_in_visit(clerk, db)
    builds.clear()  # the set-up answers the open questions: each answer is a change
    prepared_cache.clear()
    clerk.post(f"/api/v1/visits/{vid}/guidance")
    clerk.patch(f"/api/v1/visits/{vid}", {"certificates": []})
    clerk.post(f"/api/v1/visits/{vid}/guidance")
    assert len(builds) == 2
    forms = [f["form"] for f in clerk.get(f"/api/v1/visits/{vid}/forms").json()["forms"]]
    assert "tax-certificate-request" not in forms  # the new state, not the cached one
    member = clerk.get(f"/api/v1/visits/{vid}").json()["members"][0]
    clerk.patch(f"/api/v1/visits/{vid}/members/{member['id']}", {"kana": "コクトウ　ミキヤ"})
    record = clerk.get(f"/api/v1/visits/{vid}/record").json()
    tablet_record = documents.prepare(db, service.get_visit(db, vid)).record
    assert len(builds) == 3
    assert tablet_record.members[0].kana == record["members"][0]["kana"] == "コクトウ　ミキヤ"


def test_a_catalog_or_tenant_change_builds_again(
    clerk: Clerk, db: Session, builds: list[str]
) -> None:
    """The tenant's part of the key (its row, active catalog and layouts) is read in one
    statement: activating a catalog version or renaming the tenant shows in the next answer."""
    vid = moving_in_visit(clerk, db)
    builds.clear()
    prepared_cache.clear()
    before = clerk.post(f"/api/v1/visits/{vid}/guidance").json()
    source = guidance_service.DEFAULT_CATALOG_PATH.read_text(encoding="utf-8")
    version = guidance_service.upload(db, clerk.tenant.id, source, actor="t")
    guidance_service.activate(db, clerk.tenant.id, version.number, actor="t")
    after = clerk.post(f"/api/v1/visits/{vid}/guidance").json()
    assert after["catalog_version"] != before["catalog_version"]
    assert after["catalog_version"].endswith(f"#v{version.number}")
    assert len(builds) == 2
    clerk.tenant.name = "改名市"
    db.flush()
    record = documents.prepare(db, service.get_visit(db, vid)).record
    assert record.tenant.name == "改名市" and len(builds) == 3


def test_a_status_change_keeps_the_entry_a_content_change_does_not(
    clerk: Clerk, db: Session, builds: list[str]
) -> None:
    """Sending the visit to the tablet changes its status, not what its forms say: the tablet's
    next poll uses the entry the previews built. A change after that (which voids the
    confirmation) is built again and shows at once."""
    vid = moving_in_visit(clerk, db)
    builds.clear()
    prepared_cache.clear()
    before = documents.prepare(db, service.get_visit(db, vid))
    assert clerk.post(f"/api/v1/visits/{vid}/confirm").status_code == 200
    db.expire_all()
    visit = service.get_visit(db, vid)
    assert visit.status == "confirming"
    assert documents.prepare(db, visit) is before and builds == [vid]
    clerk.patch(f"/api/v1/visits/{vid}", {"new_address": "窓口デモ市中央一丁目９番９号"})
    db.expire_all()
    after = documents.prepare(db, service.get_visit(db, vid))
    assert after.record.new_address == "窓口デモ市中央一丁目９番９号"
    assert builds == [vid, vid]
