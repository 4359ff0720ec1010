"""Catalog versions (upload, validate, diff, activate, roll back) and guidance with the
tenant's active catalog. Services only flush; the request's session commits once."""

from __future__ import annotations

import difflib
import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.guidance.catalog import (
    DEFAULT_CATALOG_PATH,
    Catalog,
    CompiledCatalog,
    parse_catalog,
)
from backend.guidance.core_answers import with_core_answers
from backend.guidance.engine import evaluate
from backend.guidance.errors import CatalogInvalid
from backend.guidance.localize import localize
from backend.guidance.models import CatalogVersion
from backend.guidance.schemas import (
    ActiveCatalog,
    CatalogDiff,
    CatalogIssueRead,
    CatalogValidation,
    GuidanceRequest,
    RuleDates,
    SectionDiff,
)
from backend.guidance.translations import resident_language
from backend.guidance.wording import diff_in_words
from backend.identity.tenants.models import Tenant
from backend.platform import request_memo
from backend.platform.audit import service as audit
from backend.platform.db import utcnow
from backend.platform.errors import Conflict, Forbidden, NotFound
from contracts import GuidanceResult, VisitRecord
from integrations.core import CoreSystem, CoreSystemError

_CACHE_SIZE = 32
_cache: OrderedDict[str, CompiledCatalog] = OrderedDict()
_cache_lock = threading.Lock()
_parse_lock = threading.Lock()


def _compiled(digest: str, load_source: Any) -> CompiledCatalog:
    """Compiled catalogs by digest: a version is parsed once per process, not per request."""
    found = _cached(digest)
    if found is not None:
        return found
    # One parse at a time (≈0.1 CPU-s, all of it holding the GIL): when a municipality's first
    # visits of the day all ask for guidance at once, the first one parses and the others wait
    # for it, instead of each thread parsing the same catalog again (seen under load: 8 parses).
    # The source is read before the lock: no database wait is ever made holding it.
    source = load_source()
    with _parse_lock:
        found = _cached(digest)
        if found is not None:
            return found
        compiled = parse_catalog(source, f"catalog {digest[:12]}")
        _store(digest, compiled)
    return compiled


def _cached(digest: str) -> CompiledCatalog | None:
    with _cache_lock:
        found = _cache.get(digest)
        if found is not None:
            _cache.move_to_end(digest)
        return found


def remember(compiled: CompiledCatalog) -> None:
    """Keep a catalog just compiled (an upload, a saved draft): no second parse on first use."""
    _store(compiled.digest, compiled)


def _store(digest: str, compiled: CompiledCatalog) -> None:
    with _cache_lock:
        _cache[digest] = compiled
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)  # the least recently used


# --- validation and versions --------------------------------------------------------------


def validate_source(source: str) -> CatalogValidation:
    try:
        compiled = parse_catalog(source, "upload")
    except CatalogInvalid as exc:
        return CatalogValidation(
            valid=False,
            issues=[
                CatalogIssueRead(line=i.line, field=i.field, message=i.message) for i in exc.issues
            ],
        )
    return CatalogValidation(valid=True, procedures=len(compiled.procedures))


def upload(
    session: Session, tenant_id: str, source: str, actor: str, note: str | None = None
) -> CatalogVersion:
    """Store a new version (inactive). An invalid catalog is refused with every issue."""
    compiled = parse_catalog(source, "upload")
    last = session.scalar(select(func.max(CatalogVersion.number)))
    version = CatalogVersion(
        tenant_id=tenant_id,
        number=(last or 0) + 1,
        catalog_id=compiled.spec.catalog.id,
        label=compiled.spec.catalog.version,
        digest=compiled.digest,
        source=source,
        procedures=len(compiled.procedures),
        uploaded_by=actor,
        note=note,
    )
    session.add(version)
    session.flush()
    remember(compiled)
    audit.record(
        session,
        tenant_id=tenant_id,
        action="catalog.upload",
        actor=actor,
        detail={"number": version.number, "digest": compiled.digest},
    )
    return version


def list_versions(session: Session) -> list[CatalogVersion]:
    return list(session.scalars(select(CatalogVersion).order_by(CatalogVersion.number)))


def get_version(session: Session, number: int) -> CatalogVersion:
    version = session.scalar(select(CatalogVersion).where(CatalogVersion.number == number))
    if version is None:
        raise NotFound(f"カタログの版 {number} はありません。", code="catalog_version_not_found")
    return version


def compiled_version(version: CatalogVersion) -> CompiledCatalog:
    return _compiled(version.digest, lambda: version.source)


def _active_row(session: Session) -> CatalogVersion | None:
    return session.scalar(select(CatalogVersion).where(CatalogVersion.active.is_(True)))


def _make_active(session: Session, version: CatalogVersion) -> None:
    current = _active_row(session)
    if current is not None and current.id != version.id:
        current.active = False
        session.flush()  # one active row at a time, even mid-transaction
    version.active = True
    version.activated_at = utcnow()
    session.flush()


MAX_AUDITED_CHANGES = 100  # lines of the diff in words kept in one audit event


def _changes(before: str, after: str) -> list[str]:
    """What switching from ``before`` to ``after`` changes, in words, for the audit."""
    lines = diff_in_words(before, after)
    if len(lines) > MAX_AUDITED_CHANGES:
        rest = len(lines) - MAX_AUDITED_CHANGES
        lines = [*lines[:MAX_AUDITED_CHANGES], f"ほか {rest} 件"]
    return lines


def activate(session: Session, tenant_id: str, number: int, actor: str) -> CatalogVersion:
    version = get_version(session, number)
    before = active_source(session)
    _make_active(session, version)
    audit.record(
        session,
        tenant_id=tenant_id,
        action="catalog.activate",
        actor=actor,
        detail={
            "number": number,
            "digest": version.digest,
            "changes": _changes(before, version.source),
        },
    )
    return version


def rollback(session: Session, tenant_id: str, actor: str) -> CatalogVersion:
    """Re-activate the version that was active before the current one."""
    current = _active_row(session)
    if current is None or current.activated_at is None:
        raise Conflict(
            "有効なカタログの版がないため、元に戻せません。", code="nothing_to_roll_back"
        )
    previous = session.scalar(
        select(CatalogVersion)
        .where(
            CatalogVersion.id != current.id,
            CatalogVersion.activated_at.is_not(None),
            CatalogVersion.activated_at <= current.activated_at,
        )
        .order_by(CatalogVersion.activated_at.desc(), CatalogVersion.number.desc())
        .limit(1)
    )
    if previous is None:
        raise Conflict("以前に有効だった版がありません。", code="nothing_to_roll_back")
    _make_active(session, previous)
    audit.record(
        session,
        tenant_id=tenant_id,
        action="catalog.rollback",
        actor=actor,
        detail={
            "from": current.number,
            "to": previous.number,
            "changes": _changes(current.source, previous.source),
        },
    )
    return previous


def active_catalog(session: Session) -> tuple[int | None, CompiledCatalog]:
    """The tenant's active catalog, or the built-in sample when none has been activated."""
    tenant_id = session.info.get("tenant_id")
    # Read already in this request with the prepared key (counter/prepared_cache.py)?
    row = request_memo.recall(session, ("active_catalog", tenant_id))
    if row is request_memo.MISSING or tenant_id is None or session.info.get("unscoped"):
        row = session.execute(
            select(CatalogVersion.id, CatalogVersion.number, CatalogVersion.digest).where(
                CatalogVersion.active.is_(True)
            )
        ).first()
    if row is None:
        return None, _default()
    version_id, number, digest = row

    def load_source() -> str:
        source = session.scalar(
            select(CatalogVersion.source).where(CatalogVersion.id == version_id)
        )
        assert source is not None
        return source

    return number, _compiled(digest, load_source)


def active_source(session: Session) -> str:
    """The YAML of the tenant's active catalog, or of the built-in sample when none is active."""
    row = _active_row(session)
    return row.source if row is not None else DEFAULT_CATALOG_PATH.read_text(encoding="utf-8")


def _default() -> CompiledCatalog:
    return _compiled("default", lambda: DEFAULT_CATALOG_PATH.read_text(encoding="utf-8"))


def describe_active(session: Session) -> ActiveCatalog:
    number, compiled = active_catalog(session)
    return ActiveCatalog(
        number=number,
        label=compiled.version_label,
        sample=compiled.spec.catalog.sample,
        procedures=len(compiled.procedures),
    )


# --- diff ---------------------------------------------------------------------------------


def _section(before: list[Any], after: list[Any]) -> SectionDiff:
    old = {item.id: item.model_dump() for item in before}
    new = {item.id: item.model_dump() for item in after}
    changed = {
        key: sorted(k for k in set(old[key]) | set(new[key]) if old[key].get(k) != new[key].get(k))
        for key in old.keys() & new.keys()
        if old[key] != new[key]
    }
    return SectionDiff(
        added=[key for key in new if key not in old],
        removed=[key for key in old if key not in new],
        changed=dict(sorted(changed.items())),
    )


def rule_dates(base: Catalog, new: Catalog) -> list[RuleDates]:
    """Every dated rule of ``new``; ``changed`` when the base has no rule with that reason and
    those dates in the same procedure."""
    before = {
        (procedure.id, rule.reason, rule.valid_from, rule.valid_until)
        for procedure in base.procedures
        for rule in procedure.rules
    }
    return [
        RuleDates(
            procedure=procedure.id,
            rule=position,
            reason=rule.reason,
            valid_from=rule.valid_from,
            valid_until=rule.valid_until,
            changed=(procedure.id, rule.reason, rule.valid_from, rule.valid_until) not in before,
        )
        for procedure in new.procedures
        for position, rule in enumerate(procedure.rules)
        if rule.valid_from or rule.valid_until
    ]


def diff(session: Session, number: int, against: int | None) -> CatalogDiff:
    """What ``number`` changes compared with ``against`` (default: the active catalog)."""
    target = get_version(session, number)
    if against is not None:
        base_row: CatalogVersion | None = get_version(session, against)
    else:
        base_row = _active_row(session)
    base_source = base_row.source if base_row else DEFAULT_CATALOG_PATH.read_text(encoding="utf-8")
    base: Catalog = (
        _compiled(base_row.digest, lambda: base_row.source) if base_row else _default()
    ).spec
    new: Catalog = _compiled(target.digest, lambda: target.source).spec
    text = difflib.unified_diff(
        base_source.splitlines(),
        target.source.splitlines(),
        fromfile=f"v{base_row.number}" if base_row else "sample",
        tofile=f"v{target.number}",
        lineterm="",
    )
    return CatalogDiff(
        base=base_row.number if base_row else None,
        target=target.number,
        departments=_section(base.departments, new.departments),
        counters=_section(base.counters, new.counters),
        questions=_section(base.questions, new.questions),
        procedures=_section(base.procedures, new.procedures),
        rule_dates=rule_dates(base, new),
        text=list(text),
    )


# --- guidance -----------------------------------------------------------------------------


def _with_core_answers(visit: VisitRecord, core: CoreSystem) -> VisitRecord:
    """What the core system records; when it does not answer, the questions are asked."""
    try:
        return with_core_answers(visit, core)
    except CoreSystemError:
        return visit


def guide(
    session: Session,
    tenant_id: str,
    request: GuidanceRequest,
    core: CoreSystem | None = None,
    lang: str | None = None,
) -> GuidanceResult:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None or tenant.code != request.visit.tenant.code:
        raise Forbidden(
            "来庁記録の自治体が、ログイン中の自治体と一致しません。", code="tenant_mismatch"
        )
    number, catalog = active_catalog(session)
    visit = request.visit
    if request.core_answers and core is not None:
        visit = _with_core_answers(visit, core)
    result = evaluate(visit, catalog, request.answers)
    if number is not None:
        result.catalog_version = f"{catalog.version_label}#v{number}"
    return localize(result, resident_language(lang), catalog)


def localized(session: Session, result: GuidanceResult, lang: str | None) -> GuidanceResult:
    """``result`` with the texts of the resident's language ``lang`` beside the Japanese
    (``backend.guidance.localize``), from the tenant's active catalog; as it is for ja/none."""
    resident = resident_language(lang)
    if resident is None or resident == "ja":
        return result
    return localize(result, resident, active_catalog(session)[1])
