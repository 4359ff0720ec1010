"""The tenant's active catalog and layouts, read once a request (issue 17).

The prepared key's statement (``prepared_cache.tenant_state``) reads them; the guidance's
``active_catalog`` and the forms' ``active_versions`` take them from there instead of two more
statements — but never after the unit wrote anything (an activation), never for another tenant,
never in the next transaction.
"""

from __future__ import annotations

import gc

from sqlalchemy import update
from sqlalchemy.orm import Session

from backend.counter import prepared_cache
from backend.guidance import service as guidance
from backend.guidance.models import CatalogVersion
from backend.identity.tenants.models import Tenant
from backend.layouts import service as layouts
from backend.layouts.models import FormLayoutVersion
from backend.platform import request_memo
from backend.seed import seed_demo
from tests.helpers.sql import statements


def _scoped(db: Session) -> str:
    tenant = seed_demo(db)
    db.flush()
    db.info["unscoped"], db.info["tenant_id"] = False, tenant.id
    return tenant.id


def _layout(db: Session, tenant_id: str, form: str, *, active: bool) -> FormLayoutVersion:
    row = FormLayoutVersion(
        tenant_id=tenant_id, form=form, number=1, source="{}", digest=form * 4, active=active
    )
    db.add(row)
    db.flush()
    return row


def _catalog(db: Session, tenant_id: str, number: int, *, active: bool) -> CatalogVersion:
    row = CatalogVersion(
        tenant_id=tenant_id, number=number, catalog_id="test", label=f"v{number}",
        digest=f"{number:064d}", source="{}", active=active,
    )  # fmt: skip
    db.add(row)
    db.flush()
    return row


def test_the_prepared_keys_read_serves_the_catalog_and_layouts(db: Session) -> None:
    tenant_id = _scoped(db)
    _layout(db, tenant_id, "checklist", active=True)
    fresh_layouts = layouts.active_versions(db, tenant_id)
    assert fresh_layouts
    prepared_cache.tenant_state(db, tenant_id)
    with statements(db) as sent:
        assert layouts.active_versions(db, tenant_id) == fresh_layouts
        # None active in the demo: the built-in sample, as without the memo.
        assert guidance.active_catalog(db)[0] is None
    assert sent == []


def test_a_write_in_the_unit_forgets_what_was_read(db: Session) -> None:
    tenant_id = _scoped(db)
    catalog = _catalog(db, tenant_id, 7, active=False)
    prepared_cache.tenant_state(db, tenant_id)
    assert guidance.active_catalog(db)[0] is None
    db.execute(update(CatalogVersion).where(CatalogVersion.id == catalog.id).values(active=True))
    catalog.note = "activated"  # an ORM change: the flush before the next read forgets
    db.flush()
    assert request_memo.recall(db, ("active_catalog", tenant_id)) is request_memo.MISSING
    prepared_cache.tenant_state(db, tenant_id)
    assert request_memo.recall(db, ("active_catalog", tenant_id))[1] == 7


def test_another_tenant_and_the_next_transaction_read_afresh(db: Session) -> None:
    tenant_id = _scoped(db)
    prepared_cache.tenant_state(db, tenant_id)
    assert request_memo.recall(db, ("active_layouts", "another")) is request_memo.MISSING
    db.info["tenant_id"] = "another"
    with statements(db) as sent:
        guidance.active_catalog(db)
    assert len(sent) == 1  # read for "another", not taken from tenant_id's
    db.info["tenant_id"] = tenant_id
    db.commit()
    assert request_memo.recall(db, ("active_layouts", tenant_id)) is request_memo.MISSING


def test_a_request_session_reads_a_row_once_though_nothing_holds_it(db: Session) -> None:
    """SQLAlchemy holds loaded rows weakly: without ``keep_loaded_rows`` the tenant read for
    today's date was gone when the record was built, and ``session.get`` read it again."""
    tenant_id = _scoped(db)
    db.commit()
    request_memo.keep_loaded_rows(db)
    with statements(db) as sent:
        assert db.get(Tenant, tenant_id) is not None
        gc.collect()
        assert db.get(Tenant, tenant_id) is not None
    assert len([s for s in sent if "FROM tenants" in s]) == 1
    db.commit()  # the transaction's end lets them go: the next one reads afresh
    with statements(db) as sent:
        db.get(Tenant, tenant_id)
    assert len([s for s in sent if "FROM tenants" in s]) == 1


def test_other_sessions_hold_rows_weakly_as_before(db: Session) -> None:
    tenant_id = _scoped(db)
    db.commit()
    with statements(db) as sent:
        db.get(Tenant, tenant_id)
        gc.collect()
        db.get(Tenant, tenant_id)
    assert len([s for s in sent if "FROM tenants" in s]) == 2


def test_the_prepared_key_loads_the_tenant_row_for_the_record(db: Session) -> None:
    tenant_id = _scoped(db)
    db.commit()
    request_memo.keep_loaded_rows(db)
    prepared_cache.tenant_state(db, tenant_id)
    gc.collect()
    with statements(db) as sent:
        assert db.get(Tenant, tenant_id) is not None
    assert sent == []
