"""Table-driven scenarios against the default sample catalog (synthetic households only).

Event date 2026-11-20, school year 2026: grade 1 is born 2019-04-02 … 2020-04-01.
Every scenario answers every fact, so no question may stay open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from guidance_builders import OTHER_PREFECTURE, SAME_PREFECTURE, person, visit

from backend.guidance.catalog import CompiledCatalog
from backend.guidance.engine import evaluate
from contracts import VisitRecord

HEAD_NHI_30 = person("世帯主", "1996-05-05", insurance="national_health")
HEAD_EMP_40 = person("世帯主", "1986-05-05")
WIFE_EMP_38 = person("妻", "1988-07-07")


@dataclass(frozen=True)
class Scenario:
    name: str
    record: VisitRecord
    expected: set[str]
    reasons: dict[str, list[str]] = field(default_factory=dict)
    items: dict[str, list[str]] = field(default_factory=dict)
    absent_items: dict[str, list[str]] = field(default_factory=dict)
    fee_yen: int | None = None


def family(child_born: str, child: str = "長男", **extra: Any) -> list[dict[str, Any]]:
    return [HEAD_EMP_40, WIFE_EMP_38, person(child, child_born, **extra)]


SCENARIOS = [
    # --- singles ---
    Scenario(
        "single employee, same prefecture",
        visit("moving-in", [HEAD_EMP_40]),
        {"moving-in-notice"},
    ),
    Scenario(
        "single on national health with a card",
        visit(
            "moving-in", [person("世帯主", "2000-01-10", insurance="national_health", card=True)]
        ),
        # a 第1号 moving in files nothing for 国民年金; a new address lapses the 署名用 certificate
        {
            "moving-in-notice",
            "my-number-card-address",
            "nhi-enroll",
            "signature-certificate-reissue",
        },
        reasons={"nhi-enroll": ["世帯主（26歳）が国民健康保険に加入するため"]},
    ),
    Scenario(
        "single student aged 19 on national health",
        visit("moving-in", [person("世帯主", "2007-06-01", insurance="national_health")]),
        {"moving-in-notice", "nhi-enroll"},
    ),
    Scenario(
        "special move-in with card is the 転入届 itself",
        visit(
            "moving-in",
            [person("世帯主", "1990-01-01", card=True)],
            facts={"special_move_in": True},
        ),
        {"special-moving-in", "my-number-card-address", "signature-certificate-reissue"},
    ),
    Scenario(
        "ordinary move-in needs the move-out certificate",
        visit("moving-in", [HEAD_EMP_40]),
        {"moving-in-notice"},
        items={"moving-in-notice": ["転出証明書（前の住所地で発行されたもの）"]},
    ),
    # --- families with children of each school age ---
    Scenario(
        "preschooler aged 3 needing childcare",
        visit("moving-in", family("2023-02-01", "長女"), facts={"needs_childcare": True}),
        {"moving-in-notice", "child-allowance", "child-medical", "daycare", "infant-health"},
        reasons={"daycare": ["長女（3歳）が小学校入学前で、保育所等への入所を希望されるため"]},
    ),
    Scenario(
        "aged 6 but not yet in school (born in May)",
        visit("moving-in", family("2020-05-01")),
        {"moving-in-notice", "child-allowance", "child-medical"},
    ),
    Scenario(
        "first grade",
        visit("moving-in", family("2019-06-01")),
        {"moving-in-notice", "child-allowance", "child-medical", "school-transfer"},
        reasons={"school-transfer": ["長男（7歳）が学齢期のため"]},
    ),
    Scenario(
        "first grade born on 1 April (older school year)",
        visit("moving-in", family("2020-04-01")),
        {"moving-in-notice", "child-allowance", "child-medical", "school-transfer"},
    ),
    Scenario(
        "sixth grade",
        visit("moving-in", family("2014-09-09")),
        {
            "vaccination-school-age",
            "moving-in-notice",
            "child-allowance",
            "child-medical",
            "school-transfer",
        },
    ),
    Scenario(
        "junior high first year",
        visit("moving-in", family("2013-12-12")),
        {
            "vaccination-school-age",
            "moving-in-notice",
            "child-allowance",
            "child-medical",
            "school-transfer",
        },
    ),
    Scenario(
        "junior high third year",
        visit("moving-in", family("2011-10-10")),
        {
            "vaccination-school-age",
            "moving-in-notice",
            "child-allowance",
            "child-medical",
            "school-transfer",
        },
    ),
    Scenario(
        "high school first year",
        visit("moving-in", family("2010-08-08")),
        {"vaccination-school-age", "moving-in-notice", "child-allowance"},
    ),
    Scenario(
        "high school third year",
        visit("moving-in", family("2008-05-05")),
        {"moving-in-notice", "child-allowance"},
    ),
    Scenario(
        "child aged 19",
        visit("moving-in", family("2007-05-05")),
        {"moving-in-notice"},
    ),
    # --- elderly ---
    Scenario(
        "elderly 78 from another prefecture",
        visit(
            "moving-in",
            [person("世帯主", "1948-01-01", insurance="late_elderly")],
            previous=OTHER_PREFECTURE,
        ),
        {"moving-in-notice", "late-elderly-enroll", "care-enroll"},
        reasons={"late-elderly-enroll": ["世帯主（78歳）が75歳以上のため"]},
        items={
            "late-elderly-enroll": ["負担区分等証明書（前の住所地の後期高齢者医療広域連合が発行）"]
        },
    ),
    Scenario(
        "elderly 78 from the same prefecture",
        visit("moving-in", [person("世帯主", "1948-01-01", insurance="late_elderly")]),
        {"moving-in-notice", "late-elderly-enroll", "care-enroll"},
        absent_items={
            "late-elderly-enroll": ["負担区分等証明書（前の住所地の後期高齢者医療広域連合が発行）"]
        },
    ),
    Scenario(
        "70 on national health with a disability certificate",
        visit(
            "moving-in",
            [person("世帯主", "1956-03-03", insurance="national_health", disability=True)],
            previous=OTHER_PREFECTURE,
        ),
        {
            "elderly-recipient-card",
            "moving-in-notice",
            "nhi-enroll",
            "late-elderly-enroll",
            "care-enroll",
            "disability-address",
        },
    ),
    Scenario(
        "50 with care certification",
        visit("moving-in", [person("世帯主", "1976-03-03", care=True)]),
        {"moving-in-notice", "care-enroll"},
        items={"care-enroll": ["介護保険受給資格証明書（前の住所地で発行されたもの）"]},
    ),
    # --- foreign residents ---
    Scenario(
        "foreign resident from abroad",
        visit(
            "moving-in",
            [person("世帯主", "1995-04-04", nationality="VN")],
            previous="ベトナム社会主義共和国ハノイ市",
            facts={"from_abroad": True},
        ),
        {"moving-in-notice", "foreign-resident-address"},
        items={"moving-in-notice": ["在留カードまたは特別永住者証明書"]},
        absent_items={"moving-in-notice": ["転出証明書（前の住所地で発行されたもの）"]},
    ),
    Scenario(
        "foreign family on national health with a third grader",
        visit(
            "moving-in",
            [
                person("世帯主", "1985-02-02", nationality="BR", insurance="national_health"),
                person("妻", "1987-02-02", nationality="BR", insurance="national_health"),
                person("長女", "2017-08-08", nationality="BR", insurance="national_health"),
            ],
        ),
        {
            "vaccination-school-age",
            "moving-in-notice",
            "foreign-resident-address",
            "nhi-enroll",
            "child-allowance",
            "child-medical",
            "school-transfer",
        },
    ),
    Scenario(
        "dog, moped and seal registration",
        visit(
            "moving-in",
            [HEAD_EMP_40],
            facts={"has_dog": True, "has_moped": True, "wants_seal_registration": True},
        ),
        {"moving-in-notice", "seal-registration", "moped-registration", "dog-registration"},
        fee_yen=300,
    ),
    # --- moving out / within ---
    Scenario(
        "single moving out on national health with a seal",
        visit("moving-out", [HEAD_NHI_30], facts={"has_seal_registration": True}),
        {"moving-out-notice", "nhi-withdraw", "seal-return"},
    ),
    Scenario(
        "elderly 80 moving out to another prefecture",
        visit(
            "moving-out",
            [person("世帯主", "1946-01-01", insurance="late_elderly")],
            previous="東京都千代田区九段南１－２－１",
            new=OTHER_PREFECTURE,
        ),
        {"moving-out-notice", "late-elderly-withdraw", "late-elderly-burden-cert", "care-withdraw"},
    ),
    Scenario(
        "elderly 80 moving out within the prefecture",
        visit(
            "moving-out",
            [person("世帯主", "1946-01-01", insurance="late_elderly")],
            previous="東京都千代田区九段南１－２－１",
            new=SAME_PREFECTURE,
        ),
        {"moving-out-notice", "late-elderly-withdraw", "care-withdraw"},
    ),
    Scenario(
        "family moving out with a second grader and a care-certified parent",
        visit(
            "moving-out",
            [person("世帯主", "1981-01-01", care=True), WIFE_EMP_38, person("長男", "2018-06-06")],
        ),
        {
            "moving-out-notice",
            "care-certificate-transfer",
            "child-allowance-end",
            "child-medical-return",
            "school-leaving",
        },
    ),
    Scenario(
        "moving within, school district changes, dog",
        visit(
            "moving-within",
            [
                person("世帯主", "1984-01-01", insurance="national_health", card=True),
                person("長女", "2016-10-10", insurance="national_health"),
            ],
            facts={"school_district_changed": True, "has_dog": True},
        ),
        {
            "moving-within-notice",
            "my-number-card-address",
            "signature-certificate-reissue",
            "nhi-address",
            "child-allowance-address",
            "child-medical-address",
            "school-transfer-within",
            "dog-address",
        },
    ),
    Scenario(
        "moving within, same school district",
        visit("moving-within", family("2016-10-10")),
        {"moving-within-notice", "child-allowance-address", "child-medical-address"},
    ),
    # --- births ---
    Scenario(
        "birth in a household on national health",
        visit(
            "birth",
            [
                person("世帯主", "1992-01-01", insurance="national_health"),
                person("妻", "1993-01-01", insurance="national_health"),
                person("長男", "2026-11-20", insurance="national_health"),
            ],
        ),
        {
            "birth-support-benefit",
            "birth-notice",
            "nhi-enroll",
            "childbirth-lump-sum",
            "child-allowance",
            "child-medical",
            "infant-health",
        },
        reasons={"child-allowance": ["長男（0歳）が生まれたため"]},
    ),
    Scenario(
        "birth, employee insurance, low birth weight",
        visit(
            "birth",
            [HEAD_EMP_40, WIFE_EMP_38, person("長女", "2026-11-20")],
            facts={"low_birth_weight": True},
        ),
        {
            "birth-support-benefit",
            "employer-dependent-newborn",
            "birth-notice",
            "child-allowance",
            "child-medical",
            "infant-health",
            "low-birth-weight",
        },
    ),
    # --- deaths ---
    Scenario(
        "head on national health dies, two remain",
        visit(
            "death",
            [
                person("世帯主", "1954-01-01", insurance="national_health", deceased=True),
                person("妻", "1956-01-01", insurance="national_health", deceased=False),
                person("長男", "1990-01-01", deceased=False),
            ],
            facts={"receiving_pension": True, "has_seal_registration": True},
        ),
        {
            "cremation-permit",
            "nhi-head-change-death",
            "nhi-tax-settlement",
            "care-premium-settlement",
            "death-notice",
            "head-change",
            "seal-closure-death",
            "nhi-withdraw",
            "funeral-expenses",
            "pension-survivor",
            "care-withdraw",
        },
        reasons={"head-change": ["世帯主（72歳）が世帯主で、世帯に2人以上が残るため"]},
    ),
    Scenario(
        "head dies, one remains",
        visit(
            "death",
            [
                person("世帯主", "1954-01-01", insurance="national_health", deceased=True),
                person("妻", "1956-01-01", insurance="national_health", deceased=False),
            ],
        ),
        {
            "cremation-permit",
            "nhi-head-change-death",
            "nhi-tax-settlement",
            "care-premium-settlement",
            "death-notice",
            "nhi-withdraw",
            "funeral-expenses",
            "care-withdraw",
        },
    ),
    Scenario(
        "single 85 on late-elderly insurance dies, nobody remains",
        visit(
            "death",
            [
                person(
                    "世帯主", "1941-01-01", insurance="late_elderly", disability=True, deceased=True
                )
            ],
        ),
        {
            "cremation-permit",
            "late-elderly-premium-settlement",
            "care-premium-settlement",
            "disability-services-return",
            "death-notice",
            "late-elderly-withdraw",
            "funeral-expenses",
            "care-withdraw",
            "disability-return",
        },
    ),
    Scenario(
        "spouse dies, head and child remain",
        visit(
            "death",
            [
                person("世帯主", "1970-01-01", deceased=False),
                person("妻", "1972-01-01", deceased=True),
                person("長女", "2000-01-01", deceased=False),
            ],
        ),
        {"cremation-permit", "survivor-employee-pension", "death-notice"},
    ),
    # --- marriage, divorce, household change ---
    Scenario(
        "marriage, wife on national health changes name, holds a card",
        visit(
            "marriage",
            [
                HEAD_EMP_40,
                person("妻", "1996-03-03", insurance="national_health", card=True),
            ],
            facts={"members.1.name_changes": True},
        ),
        {
            "e-certificate-name",
            "marriage-notice",
            "my-number-card-name",
            "nhi-name-change",
            "pension-name-change",
        },
        reasons={"my-number-card-name": ["妻（30歳）の氏名が変わるため"]},
    ),
    Scenario(
        "marriage, name change on employee insurance",
        visit(
            "marriage",
            [HEAD_EMP_40, person("妻", "1996-03-03", card=True)],
            facts={"members.1.name_changes": True},
        ),
        {"e-certificate-name", "marriage-notice", "my-number-card-name"},
    ),
    Scenario(
        "marriage without a name change",
        visit("marriage", [HEAD_EMP_40, person("妻", "1996-03-03", card=True)]),
        {"marriage-notice"},
    ),
    Scenario(
        "divorce with a fifth grader, mother changes name",
        visit(
            "divorce",
            [
                person("世帯主", "1988-01-01", insurance="national_health", card=True),
                person("長女", "2015-06-06", insurance="national_health"),
            ],
            facts={"members.0.name_changes": True},
        ),
        {
            "e-certificate-name",
            "divorce-notice",
            "my-number-card-name",
            "nhi-name-change",
            "pension-name-change",
            "single-parent-allowance",
            "single-parent-medical",
        },
    ),
    Scenario(
        "household change with a new head on national health",
        visit(
            "household-change",
            [HEAD_NHI_30, person("母", "1965-01-01", insurance="national_health")],
            facts={"head_changes": True},
        ),
        {"household-change-notice", "head-change", "nhi-head-change"},
    ),
    Scenario(
        "household change, same head",
        visit("household-change", [HEAD_EMP_40, WIFE_EMP_38]),
        {"household-change-notice"},
    ),
    # --- certificates ---
    Scenario(
        "two residence certificates and a tax certificate",
        visit(
            "certificate",
            [HEAD_EMP_40],
            certificates=[
                {"kind": "residence", "copies": 2, "scope": "household"},
                {"kind": "tax", "fiscal_year": 2026, "tax_kind": "income_taxation"},
            ],
        ),
        {"residence-certificate", "tax-certificate"},
        fee_yen=900,
    ),
    Scenario(
        "moving in and a residence certificate at the same visit",
        visit("moving-in", [HEAD_EMP_40], certificates=[{"kind": "residence"}]),
        {"moving-in-notice", "residence-certificate"},
        fee_yen=300,
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(scenario: Scenario, catalog: CompiledCatalog) -> None:
    result = evaluate(scenario.record, catalog)
    by_id = {p.id: p for p in result.procedures}
    assert set(by_id) == scenario.expected
    assert result.questions == []
    for procedure_id, reasons in scenario.reasons.items():
        assert by_id[procedure_id].reasons == reasons
    for procedure_id, items in scenario.items.items():
        assert set(items) <= set(by_id[procedure_id].items)
    for procedure_id, items in scenario.absent_items.items():
        assert not set(items) & set(by_id[procedure_id].items)
    if scenario.fee_yen is not None:
        assert result.totals.fee_yen == scenario.fee_yen


def test_at_least_thirty_scenarios() -> None:
    assert len(SCENARIOS) >= 30
