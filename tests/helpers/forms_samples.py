"""Synthetic visit records and guidance results (invented people; no real personal data)."""

from __future__ import annotations

import datetime as dt

from contracts import (
    Applicant,
    Certificate,
    CounterRef,
    GuidanceResult,
    Member,
    ProcedureResult,
    Signature,
    Stroke,
    StrokePoint,
    TenantRef,
    VisitRecord,
)

KOKUTO = Member(
    name="黒桐　幹也",
    kana="コクトウ　ミキヤ",
    birth_date=dt.date(1980, 2, 17),
    sex="1",
    relationship="世帯主",
    nationality="JP",
    source="card",
    resident_code="12345678901",
)
SPOUSE = Member(
    name="𠮷野　鮮花",
    kana="ヨシノ　アザカ",
    birth_date=dt.date(1989, 1, 7),
    sex="2",
    relationship="妻",
    nationality="JP",
    source="card",
)
CHILD1 = Member(
    name="黒桐　﨑子",
    kana="コクトウ　サキコ",
    birth_date=dt.date(2019, 5, 1),
    sex="2",
    relationship="子",
    nationality="JP",
    source="staff",
)
CHILD2 = Member(
    name="黒桐　髙志",
    kana="コクトウ　タカシ",
    birth_date=dt.date(1989, 1, 8),
    sex="1",
    relationship="子",
    nationality="JP",
    source="staff",
)
GRANDMA = Member(
    name="黒桐　トメ",
    kana="コクトウ　トメ",
    birth_date=dt.date(1926, 12, 25),
    sex="2",
    relationship="母",
    nationality="JP",
    source="staff",
)
LODGER = Member(
    name="Anna SMITH",
    birth_date=dt.date(1912, 7, 30),
    sex="2",
    relationship="同居人",
    nationality="GB",
    residence_status="永住者",
    residence_card_number="AB12345678CD",
    residence_period_end=dt.date(2030, 3, 31),
)


def household(size: int) -> list[Member]:
    return [KOKUTO, SPOUSE, CHILD1, CHILD2, GRANDMA, LODGER][:size]


def visit(size: int = 4, event: str = "moving-in") -> VisitRecord:
    return VisitRecord.model_validate(
        {
            "visit_id": "V-20261124-0007",
            "reception_label": "A-007 2026-11-24",
            "tenant": TenantRef(code="131016", name="千代田区"),
            "event": event,
            "event_date": dt.date(2026, 11, 20),
            "filed_on": dt.date(2026, 11, 24),
            "previous_address": "東京都清瀬市観布子南１２－７－２０２",
            "new_address": "東京都千代田区九段南１－２－１",
            "household_head": "黒桐　幹也",
            "applicant": Applicant(name="黒桐　幹也", relationship="本人", phone="090-0000-0000"),
            "members": household(size),
            "certificates": [
                Certificate(
                    kind="residence",
                    copies=2,
                    scope="household",
                    include=["relationship", "resident_code"],
                    purpose="勤務先へ提出",
                ),
                Certificate(
                    kind="tax",
                    fiscal_year=2026,
                    copies=1,
                    purpose="児童手当",
                    tax_kind="income_taxation",
                    members=[0],
                ),
            ],
        }
    )


def guidance() -> GuidanceResult:
    shimin = CounterRef(id="shimin", name="市民課", floor="1階", number="3", order=1)
    hoken = CounterRef(id="hoken", name="保険年金課", floor="1階", number="7", order=2)
    kodomo = CounterRef(id="kodomo", name="子育て支援課", floor="2階", number="12", order=3)
    return GuidanceResult(
        procedures=[
            ProcedureResult(
                id="child-allowance",
                name="児童手当 認定請求",
                department="子育て支援課",
                counter=kodomo,
                reasons=["中学生以下のお子さんがいます"],
                items=["振込先の口座がわかるもの", "健康保険証の写し"],
                deadline=dt.date(2026, 12, 5),
                minutes=15,
            ),
            ProcedureResult(
                id="moving-in",
                name="転入届",
                department="市民課",
                counter=shimin,
                reasons=["転入しました"],
                items=["転出証明書", "本人確認書類"],
                deadline=dt.date(2026, 12, 4),
                minutes=20,
            ),
            ProcedureResult(
                id="residence-cert",
                name="住民票の写し",
                department="市民課",
                counter=shimin,
                reasons=["請求がありました"],
                fee_yen=600,
                minutes=5,
            ),
            ProcedureResult(
                id="nhi",
                name="国民健康保険 加入",
                department="保険年金課",
                counter=hoken,
                reasons=["勤務先の健康保険に入っていません"],
                items=["本人確認書類"],
                deadline=dt.date(2026, 12, 4),
                minutes=15,
            ),
        ]
    )


def signature() -> Signature:
    """A made-up scribble in a 400×150 canvas."""
    wave = [StrokePoint(x=20 + i * 9, y=75 + (30 if i % 2 else -30)) for i in range(20)]
    underline = [StrokePoint(x=30, y=130), StrokePoint(x=360, y=125)]
    return Signature(width=400, height=150, strokes=[Stroke(points=wave), Stroke(points=underline)])
