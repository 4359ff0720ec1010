"""The 個人番号 (My Number): stored only when a procedure needs it, sealed apart, purged first.

番号法 第20条 lets a municipality keep 特定個人情報 only while the work needs it. So:

- ``store_individual_number`` refuses unless the caller names at least one procedure whose
  catalog entry says it needs the number (``needs_individual_number``), and checks the check
  digit (番号法施行令 第8条, ``contracts.individual_number``) so that a mistyped number is
  never kept;
- the number is sealed with AES-GCM under an associated-data context of its own, bound to the
  tenant and the member: the ciphertext means nothing in any other column or row;
- ``mask_individual_number`` hides all twelve digits (no "last four"): no screen of madoguchi
  needs them, and a partial number is still 特定個人情報 in the hands of someone who knows the
  rest. The only way to the digits is ``reveal_individual_number``, for a form that requires
  the number, and each reveal is an audit event;
- ``purge_individual_numbers`` runs when the hand-off is delivered (see ``backend.counter
  .retention``), long before the rest of the visit is purged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.counter.models import HouseholdMember
from backend.identity.security_models import IndividualNumber
from backend.platform.audit.service import record
from backend.platform.crypto import get_keyring
from backend.platform.errors import BadRequest, Forbidden, NotFound, ValidationFailed
from contracts.individual_number import contains_individual_number, is_valid_individual_number

MASK = "*" * 12
_CONTEXT_PREFIX = b"madoguchi/individual-number/v1"


class IndividualNumberNotNeeded(Forbidden):
    code = "individual_number_not_needed"
    default_message = "この手続きでは個人番号を保存できません。"


class InvalidIndividualNumber(BadRequest):
    code = "invalid_individual_number"
    default_message = "個人番号の形式が正しくありません（12桁・検査用数字）。"


def mask_individual_number(number: str | None) -> str:
    """Every digit hidden; the same twelve stars whatever the number (nothing leaks)."""
    return MASK


def _context(tenant_id: str, member_id: str) -> bytes:
    return b"|".join((_CONTEXT_PREFIX, tenant_id.encode(), member_id.encode()))


def _stored_row(session: Session, member_id: str) -> IndividualNumber | None:
    return session.scalars(
        select(IndividualNumber).where(IndividualNumber.member_id == member_id)
    ).one_or_none()


def store_individual_number(
    session: Session,
    member: HouseholdMember,
    number: str,
    procedure_ids: Iterable[str],
    *,
    needs_number: Callable[[str], bool] | None = None,
    actor: str | None = None,
) -> IndividualNumber:
    """Seal ``number`` for ``member`` on behalf of procedures that need it.

    ``procedure_ids`` are the procedures the caller says need the number; with ``needs_number``
    (the catalog's ``needs_individual_number`` lookup) each one is checked too. No procedure
    left → refused.
    """
    needed = sorted({p for p in procedure_ids if needs_number is None or needs_number(p)})
    if not needed:
        raise IndividualNumberNotNeeded()
    number = number.replace(" ", "").replace("-", "")
    if not is_valid_individual_number(number):
        raise InvalidIndividualNumber()
    sealed = get_keyring().encrypt(number, context=_context(member.tenant_id, member.id))
    row = _stored_row(session, member.id)
    if row is None:
        row = IndividualNumber(
            tenant_id=member.tenant_id, visit_id=member.visit_id, member_id=member.id, sealed=""
        )
        session.add(row)
    row.sealed, row.procedure_ids = sealed, needed
    session.flush()
    record(
        session,
        tenant_id=member.tenant_id,
        action="individual_number.stored",
        actor=actor,
        visit_id=member.visit_id,
        detail={"member_id": member.id, "procedures": needed},
    )
    return row


def has_individual_number(session: Session, member_id: str) -> bool:
    return (
        session.scalars(
            select(IndividualNumber.id).where(IndividualNumber.member_id == member_id)
        ).first()
        is not None
    )


def reveal_individual_number(
    session: Session, member: HouseholdMember, *, purpose: str, actor: str | None = None
) -> str:
    """The digits, for a form that requires them; every reveal is audited."""
    row = _stored_row(session, member.id)
    if row is None:
        raise NotFound("個人番号は保存されていません。", code="individual_number_absent")
    number = get_keyring().decrypt(row.sealed, context=_context(member.tenant_id, member.id))
    record(
        session,
        tenant_id=member.tenant_id,
        action="individual_number.revealed",
        actor=actor,
        visit_id=member.visit_id,
        detail={"member_id": member.id, "purpose": purpose},
    )
    return number


def purge_individual_numbers(session: Session, visit_id: str) -> int:
    result = session.execute(
        delete(IndividualNumber)
        .where(IndividualNumber.visit_id == visit_id)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


class IndividualNumberInFreeText(ValidationFailed):
    code = "individual_number_in_free_text"
    default_message = (
        "個人番号（マイナンバー）と思われる12桁の番号が入力されています。"
        "自由記述の欄には個人番号を入力しないでください。"
    )


def refuse_in_free_text(values: Mapping[str, Any], prefix: str = "") -> None:
    """Refuse (422 ``individual_number_in_free_text``, with the field's name) a valid 個人番号
    anywhere in ``values``: a number kept in a note would escape the sealed store, its purge
    and its audit (番号法 第20条). Only a number with a correct check digit is refused, so a
    mistyped or unrelated 12-digit number is accepted. The number itself is never echoed."""
    for key, value in values.items():
        field = f"{prefix}{key}"
        if contains_individual_number(str(key)):  # a fact's name is typed text too
            raise IndividualNumberInFreeText(field=prefix.rstrip(".") or "body")
        if isinstance(value, str):
            if contains_individual_number(value):
                raise IndividualNumberInFreeText(
                    f"「{field}」の欄に{IndividualNumberInFreeText.default_message}", field=field
                )
        elif isinstance(value, Mapping):
            refuse_in_free_text(value, f"{field}.")
        elif isinstance(value, list | tuple):
            refuse_in_free_text({str(i): item for i, item in enumerate(value)}, f"{field}.")
