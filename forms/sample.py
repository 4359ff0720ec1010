"""An invented household that fills every form, for previewing a layout before it is used.

No real person: the names say 見本 (sample), the address is a made-up 町字. The preview of a
layout is this household's form with 見本 across it (``forms.stamping.watermarked``).
"""

from __future__ import annotations

import datetime as dt

from contracts import (
    Applicant,
    Certificate,
    CounterRef,
    GuidanceResult,
    Member,
    ProcedureResult,
    TenantRef,
    VisitRecord,
)


def sample_record(tenant_code: str, tenant_name: str) -> VisitRecord:
    """A 転居 of three (so that every form, the tax request too, is issued here)."""
    head = Member(
        name="見本　太郎",
        kana="ミホン　タロウ",
        birth_date=dt.date(1985, 4, 1),
        sex="1",
        relationship="世帯主",
        nationality="JP",
        source="staff",
    )
    spouse = head.model_copy(
        update={"name": "見本　花子", "kana": "ミホン　ハナコ", "sex": "2", "relationship": "妻"}
    )
    child = head.model_copy(
        update={"name": "見本　一郎", "kana": "ミホン　イチロウ", "relationship": "子"}
    )
    child.birth_date = dt.date(2020, 6, 15)
    return VisitRecord(
        visit_id="V-SAMPLE-0001",
        reception_label="A-001 見本",
        tenant=TenantRef(code=tenant_code, name=tenant_name),
        event="moving-within",
        event_date=dt.date(2026, 11, 20),
        filed_on=dt.date(2026, 11, 24),
        previous_address=f"{tenant_name}見本町一丁目１－１",
        new_address=f"{tenant_name}見本町二丁目２－２",
        household_head=head.name,
        applicant=Applicant(name=head.name, relationship="本人", phone="000-0000-0000"),
        members=[head, spouse, child],
        certificates=[
            Certificate(kind="residence", copies=1, scope="household", include=["relationship"]),
            Certificate(kind="tax", fiscal_year=2026, copies=1, purpose="見本", members=[0]),
        ],
    )


def sample_guidance() -> GuidanceResult:
    counter = CounterRef(id="sample", name="市民課", floor="1階", number="1", order=1)
    return GuidanceResult(
        procedures=[
            ProcedureResult(
                id="moving-within",
                name="転居届",
                department="市民課",
                counter=counter,
                reasons=["見本"],
                items=["本人確認書類"],
                minutes=15,
            ),
            ProcedureResult(
                id="residence-cert",
                name="住民票の写し",
                department="市民課",
                counter=counter,
                reasons=["見本"],
                fee_yen=300,
                minutes=5,
            ),
        ]
    )
