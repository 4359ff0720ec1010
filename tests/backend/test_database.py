"""Tenant isolation, encryption at rest, and migrations that match the models."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, joinedload, selectinload

from backend.counter.models import Document, Signature
from backend.identity.devices.models import Device
from backend.models import Base, HouseholdMember, Office, Tenant, Visit, VisitEvent
from backend.platform import migrate
from backend.platform.agentlink.models import AgentJob
from backend.platform.db import MadoguchiError, make_engine


def _tenant(db: Session, code: str, name: str) -> Tenant:
    tenant = Tenant(code=code, name=name)
    db.add(tenant)
    db.flush()
    return tenant


def _visit_with_member(db: Session, tenant: Tenant, name: str) -> Visit:
    visit = Visit(tenant_id=tenant.id, event="moving-in", new_address="デモ県窓口デモ市本町１")
    db.add(visit)
    db.flush()
    db.add(
        HouseholdMember(tenant_id=tenant.id, visit_id=visit.id, name=name, birth_date="1990-01-01")
    )
    db.add(VisitEvent(tenant_id=tenant.id, visit_id=visit.id, kind="opened"))
    db.flush()
    return visit


def test_a_second_tenants_rows_are_invisible(db: Session) -> None:
    first = _tenant(db, "991007", "窓口デモ市")
    second = _tenant(db, "991015", "隣デモ町")
    mine = _visit_with_member(db, first, "試験　一郎")
    theirs = _visit_with_member(db, second, "試験　二郎")
    db.expunge_all()

    db.info.update(unscoped=False, tenant_id=first.id)
    visible = db.scalars(select(Visit)).all()
    assert [v.id for v in visible] == [mine.id]
    assert db.get(Visit, theirs.id) is None
    names = db.scalars(select(HouseholdMember.name)).all()
    assert names == ["試験　一郎"]
    # joins and relationship loads are filtered too
    joined = db.scalars(select(VisitEvent).join(Visit, Visit.id == VisitEvent.visit_id)).all()
    assert {e.visit_id for e in joined} == {mine.id}


def test_one_cached_statement_serves_each_tenant_its_own_rows(db: Session) -> None:
    """The tenant is a bound parameter of a statement compiled once (issue 17): switching the
    session's tenant must switch the rows, in plain selects and relationship loads alike."""
    first = _tenant(db, "991007", "窓口デモ市")
    second = _tenant(db, "991015", "隣デモ町")
    mine = _visit_with_member(db, first, "試験　一郎")
    theirs = _visit_with_member(db, second, "試験　二郎")
    # A row of the second tenant pointing at the first's visit: only a filtered load hides it.
    db.add(HouseholdMember(tenant_id=second.id, visit_id=mine.id, name="試験　三郎"))
    db.flush()
    for tenant, visit, names in (
        (first, mine, ["試験　一郎"]),
        (second, theirs, ["試験　二郎"]),
        (first, mine, ["試験　一郎"]),
    ):
        db.expunge_all()
        db.info.update(unscoped=False, tenant_id=tenant.id)
        assert [v.id for v in db.scalars(select(Visit))] == [visit.id]
        for load in (selectinload, joinedload):
            db.expunge_all()
            loaded = db.scalars(select(Visit).options(load(Visit.members))).unique().one()
            assert [m.name for m in loaded.members] == names
        members = select(HouseholdMember.visit_id).scalar_subquery()
        assert db.scalars(select(Visit.id).where(Visit.id.in_(members))).all() == [visit.id]


def test_a_session_without_tenant_sees_no_tenant_rows(db: Session) -> None:
    tenant = _tenant(db, "991007", "窓口デモ市")
    _visit_with_member(db, tenant, "試験　一郎")
    db.expunge_all()
    db.info.update(unscoped=False, tenant_id=None)
    assert db.scalars(select(Visit)).all() == []


def test_writing_into_another_tenant_is_refused(db: Session) -> None:
    first = _tenant(db, "991007", "窓口デモ市")
    second = _tenant(db, "991015", "隣デモ町")
    db.info.update(unscoped=False, tenant_id=first.id)
    db.add(Office(tenant_id=second.id, code="x", name="x"))
    with pytest.raises(MadoguchiError):
        db.flush()


def test_new_rows_take_the_sessions_tenant(db: Session) -> None:
    tenant = _tenant(db, "991007", "窓口デモ市")
    db.info.update(unscoped=False, tenant_id=tenant.id)
    office = Office(code="main", name="本庁舎")
    db.add(office)
    db.flush()
    assert office.tenant_id == tenant.id


def test_personal_data_is_not_stored_in_plaintext(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'raw.db'}")
    migrate.upgrade(engine)
    name, address, phone = "暗号　確認子", "デモ県平文無市秘密町９－９", "090-1234-5678"
    with Session(engine, info={"unscoped": True}) as session:
        tenant = _tenant(session, "991007", "窓口デモ市")
        visit = Visit(tenant_id=tenant.id, new_address=address, applicant_phone=phone)
        session.add(visit)
        session.flush()
        session.add(
            HouseholdMember(
                tenant_id=tenant.id,
                visit_id=visit.id,
                name=name,
                kana="アンゴウ",
                birth_date="1985-05-05",
            )
        )
        # the bytes too: a PDF (text strings in UTF-16), signature strokes, a queued receipt
        pdf = b"%PDF-1.7\n(" + name.encode("utf-16-be") + b") Tj " + address.encode() + b"\n%%EOF"
        device = Device(tenant_id=tenant.id, kind="printer", name="p1")
        signature = Signature(
            tenant_id=tenant.id, visit_id=visit.id, strokes=f'{{"by": "{name}"}}', sha256="0" * 64
        )
        session.add_all([device, signature])
        session.flush()
        session.add(
            Document(
                tenant_id=tenant.id,
                visit_id=visit.id,
                form="moving-notice",
                filename="f.pdf",
                content_type="application/pdf",
                sha256="0" * 64,
                content=pdf,
                signature_id=signature.id,
            )
        )
        receipt = b"\x1b@" + name.encode("cp932") + phone.encode()
        session.add(AgentJob(tenant_id=tenant.id, device_id=device.id, kind="print", data=receipt))
        session.commit()
        # reading back through the model gives the text and the bytes exactly
        member = session.scalars(select(HouseholdMember)).one()
        assert member.name == name
        assert session.scalars(select(Document.content)).one() == pdf
        assert session.scalars(select(AgentJob.data)).one() == receipt
    engine.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("raw.db*"))
    for secret in (name, address, "平文無市", phone, "アンゴウ", "1985-05-05"):
        for codec in ("utf-8", "utf-16-be", "cp932"):
            found = secret.encode(codec) in raw
            assert not found, f"{secret!r} ({codec}) found in the raw database file"
    assert b"%PDF" not in raw
    assert "窓口デモ市".encode() in raw  # the check can fail: non-personal text is visible


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        assert migrate.is_at_head(connection)
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], f"models differ from migrations: {differences}"


def test_aware_datetimes_round_trip(db: Session) -> None:
    tenant = _tenant(db, "991007", "窓口デモ市")
    moment = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    visit = Visit(tenant_id=tenant.id, closed_at=moment)
    db.add(visit)
    db.flush()
    db.expire_all()
    loaded = db.get(Visit, visit.id)
    assert loaded is not None and loaded.closed_at == moment
    assert loaded.closed_at.tzinfo is not None
