"""Household scenarios for the nine life events, against the default sample catalog.

Each scenario is a synthetic household (a visit record) plus the answers given at the counter,
with the procedures a veteran clerk must list and those that must not appear, built from
municipal checklists and おくやみ handbooks:

- 相生市 おくやみコーナー: 48 procedures at the city across 15 departments (神戸新聞 2021,
  kobe-np.co.jp 0014962445); 加西市「おくやみ」https://www.city.kasai.hyogo.jp/site/okuyami/
  (死亡届と死体火葬許可証); 上越市 おくやみコーナー (joetsucity.com/?p=10083: 国保・後期・介護の
  資格喪失, 葬祭費, 相続人代表者指定届).
- 内閣官房 IT総合戦略室（現 デジタル庁）「おくやみコーナー設置ガイドライン」と
  「おくやみコーナー設置自治体支援ナビ」(死亡・相続ワンストップサービス; 総務省 67 filings).
- 日本年金機構: 遺族基礎年金・死亡一時金・第3号被保険者の種別変更・産前産後免除・脱退一時金.
- こども家庭庁: 児童手当制度のご案内（受給者の変更・15日特例）, 児童扶養手当.
- 法務省 戸籍: 離婚の際に称していた氏を称する届（3か月）, 子の氏の変更と入籍届, 復氏届.
- 松戸市 国民年金 場面別案内 (国外転出の任意加入); 府中町 電子証明書 (氏名変更で失効);
  /work/shared/reference/counters.md ("Rules that a veteran clerk applies").

For every scenario the number of questions still open is recorded (``open_questions``, with
the scenario's answers; ``questions_before_answers``, the interview's size) and printed at the
end of the run by the ``pytest_terminal_summary`` hook of this directory's
conftest. No scenario may ask about a fact its event implies (``implied_questions``).

Event date 2026-11-20 (school year 2026: grade 1 is born 2019-04-02 … 2020-04-01).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from guidance_builders import HERE, OTHER_PREFECTURE, SAME_PREFECTURE, person, visit

from backend.guidance.catalog import CompiledCatalog
from backend.guidance.conditions import compile_household_condition, compile_member_condition
from backend.guidance.engine import evaluate
from contracts import EVENTS, VisitRecord

ABROAD = "アメリカ合衆国カリフォルニア州サンノゼ市見本通り１２３"
ABROAD_VN = "ベトナム社会主義共和国ハノイ市見本区４５"


@dataclass(frozen=True)
class Household:
    """One scenario: a household, the answers given, what must and must not be listed."""

    id: str
    event: str
    members: list[dict[str, Any]]
    must: set[str]
    must_not: set[str] = field(default_factory=set)
    answers: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    previous: str | None = SAME_PREFECTURE
    new: str | None = HERE
    certificates: list[dict[str, Any]] = field(default_factory=list)
    never_ask: set[str] = field(default_factory=set)
    extra: dict[str, Any] = field(default_factory=dict)

    def record(self) -> VisitRecord:
        built = visit(
            self.event,
            self.members,
            previous=self.previous,
            new=self.new,
            facts=self.facts,
            certificates=self.certificates,
            defaults=False,
        )
        if not self.extra:
            return built
        return VisitRecord.model_validate({**built.model_dump(by_alias=True), **self.extra})


def concerned(member: dict[str, Any]) -> dict[str, Any]:
    """The member the event is about (the newborn, the person who died, …)."""
    return {**member, "concerned": True}


def without(member: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in member.items() if key not in keys}


# Answers a moving household usually gives: no dog, no moped, no seal wanted, nobody pregnant.
MOVE_NOS = {"has_dog": False, "has_moped": False, "wants_seal_registration": False}
# The usual "no" answers of an おくやみ interview, for facts the scenario does not test.
OKUYAMI_NOS = {
    "receiving_pension": False,
    "has_seal_registration": False,
    "has_moped": False,
    "has_dog": False,
    "paid_resident_tax": False,
    "owned_real_estate": False,
    "water_account_holder": False,
    "municipal_grave_holder": False,
    "had_high_medical_costs": False,
    "receives_disability_allowance": False,
    "receives_child_allowance": False,
    "leaves_dependent_insurance": False,
    "spouse_restores_surname": False,
    "wants_family_register_copy": False,
    "lives_in_public_housing": False,
}


def alive(relationship: str, born: str, **extra: Any) -> dict[str, Any]:
    return person(relationship, born, deceased=False, **extra)


def died(relationship: str, born: str, **extra: Any) -> dict[str, Any]:
    return person(relationship, born, deceased=True, **extra)


SCENARIOS: list[Household] = [
    # ================================ 転入 (moving-in) ================================
    Household(
        "mi-01-special-move-in-single",
        "moving-in",
        [person("世帯主", "1992-04-04", card=True)],
        must={"special-moving-in", "my-number-card-address"},
        must_not={"nhi-enroll", "pension-enroll", "child-allowance", "care-enroll"},
        answers={**MOVE_NOS, "special_move_in": True, "from_abroad": False, "expecting": False},
    ),
    Household(
        "mi-02-self-employed-family-expecting-and-toddler",
        "moving-in",
        [
            person("世帯主", "1986-05-05", insurance="national_health"),
            person("妻", "1988-06-06", insurance="national_health"),
            person("長女", "2023-02-01", insurance="national_health"),
        ],
        must={
            "moving-in-notice",
            "nhi-enroll",
            "prenatal-checkup-exchange",
            "child-allowance",
            "child-medical",
            "daycare",
            "infant-health",
        },
        must_not={"school-transfer", "elderly-recipient-card", "late-elderly-enroll"},
        previous=OTHER_PREFECTURE,
        answers={
            **MOVE_NOS,
            "special_move_in": False,
            "from_abroad": False,
            "expecting": True,
            "members.2.needs_childcare": True,
        },
    ),
    Household(
        "mi-03-employee-family-kindergarten",
        "moving-in",
        [
            person("世帯主", "1985-01-01"),
            person("妻", "1987-01-01"),
            person("長男", "2022-01-10"),
        ],
        must={"kindergarten-transfer", "child-allowance", "child-medical", "infant-health"},
        must_not={"daycare", "nhi-enroll", "pension-enroll", "school-transfer"},
        answers={
            **MOVE_NOS,
            "special_move_in": False,
            "from_abroad": False,
            "expecting": False,
            "members.2.needs_childcare": False,
            "members.2.attends_kindergarten": True,
        },
    ),
    Household(
        "mi-04-school-children-10-and-14",
        "moving-in",
        [
            person("世帯主", "1980-03-03"),
            person("妻", "1982-03-03"),
            person("長女", "2016-07-07"),
            person("長男", "2012-09-09"),
        ],
        must={"school-transfer", "vaccination-school-age", "child-allowance", "child-medical"},
        must_not={"infant-health", "daycare", "kindergarten-transfer"},
        never_ask={"members.2.needs_childcare", "members.3.attends_kindergarten"},
        answers={**MOVE_NOS, "special_move_in": False, "from_abroad": False, "expecting": False},
    ),
    Household(
        "mi-05-couple-72-and-70-on-national-health",
        "moving-in",
        [
            person("世帯主", "1954-02-02", insurance="national_health"),
            person("妻", "1956-04-04", insurance="national_health"),
        ],
        must={"moving-in-notice", "nhi-enroll", "elderly-recipient-card", "care-enroll"},
        must_not={"late-elderly-enroll", "pension-enroll", "prenatal-checkup-exchange"},
        never_ask={"expecting"},
        answers={**MOVE_NOS, "special_move_in": False, "from_abroad": False},
    ),
    Household(
        "mi-06-late-elderly-78-care-certified-other-prefecture",
        "moving-in",
        [person("世帯主", "1948-01-01", insurance="late_elderly", care=True)],
        must={"late-elderly-enroll", "care-enroll"},
        must_not={"nhi-enroll", "elderly-recipient-card", "pension-enroll"},
        never_ask={"expecting", "prefecture_changed"},
        previous=OTHER_PREFECTURE,
        answers={**MOVE_NOS, "special_move_in": False, "from_abroad": False},
    ),
    Household(
        "mi-07-single-parent-with-second-grader",
        "moving-in",
        [person("世帯主", "1990-10-10", insurance="national_health"), person("長男", "2018-08-08")],
        must={
            "single-parent-allowance-move-in",
            "single-parent-medical-move-in",
            "child-allowance",
            "child-medical",
            "school-transfer",
            "nhi-enroll",
        },
        answers={
            **MOVE_NOS,
            "special_move_in": False,
            "from_abroad": False,
            "expecting": False,
            "receives_single_parent_allowance": True,
        },
    ),
    Household(
        "mi-08-child-12-with-severe-disability",
        "moving-in",
        [
            person("世帯主", "1982-02-02"),
            person("妻", "1983-02-02"),
            person("長男", "2014-05-05", disability=True),
        ],
        must={
            "disability-address",
            "special-child-allowance-address",
            "severe-disability-medical",
            "school-transfer",
        },
        answers={
            **MOVE_NOS,
            "special_move_in": False,
            "from_abroad": False,
            "expecting": False,
            "members.2.severe_disability": True,
            "members.2.receives_disability_allowance": True,
        },
    ),
    Household(
        "mi-09-japanese-family-back-from-abroad",
        "moving-in",
        [
            person("世帯主", "1980-12-12", insurance="national_health"),
            person("長女", "2015-06-06", insurance="national_health"),
        ],
        must={
            "moving-in-notice",
            "nhi-enroll",
            "pension-enroll",
            "school-transfer",
            "child-allowance",
        },
        must_not={"special-moving-in"},
        never_ask={"special_move_in"},
        previous=ABROAD,
        answers={**MOVE_NOS, "from_abroad": True, "expecting": False},
    ),
    Household(
        "mi-10-abroad-previous-address-implies-from-abroad",
        "moving-in",
        [person("世帯主", "1994-01-01")],
        must={"moving-in-notice"},
        must_not={"special-moving-in"},
        never_ask={"from_abroad", "special_move_in"},
        previous=ABROAD,
        answers={**MOVE_NOS, "expecting": False},
    ),
    Household(
        "mi-11-foreign-worker-from-abroad",
        "moving-in",
        [person("世帯主", "1998-03-03", nationality="VN")],
        must={"moving-in-notice", "foreign-resident-address"},
        must_not={"nhi-enroll", "pension-enroll", "special-moving-in"},
        previous=ABROAD_VN,
        answers={**MOVE_NOS, "from_abroad": True, "expecting": False},
    ),
    Household(
        "mi-12-special-move-in-is-the-moving-in-notice",
        "moving-in",
        [person("世帯主", "1992-04-04", card=True)],
        must={"special-moving-in"},
        must_not={"moving-in-notice"},
        answers={**MOVE_NOS, "special_move_in": True, "from_abroad": False, "expecting": False},
    ),
    Household(
        "mi-13-student-19-on-national-health",
        "moving-in",
        [person("世帯主", "2007-06-01", insurance="national_health")],
        must={"moving-in-notice", "nhi-enroll"},
        must_not={"pension-enroll", "elderly-recipient-card"},
        answers={**MOVE_NOS, "special_move_in": False, "from_abroad": False, "expecting": False},
    ),
    Household(
        "mi-14-dog-moped-seal",
        "moving-in",
        [person("世帯主", "1975-07-07")],
        must={"dog-registration", "moped-registration", "seal-registration"},
        answers={
            "special_move_in": False,
            "from_abroad": False,
            "expecting": False,
            "has_dog": True,
            "has_moped": True,
            "wants_seal_registration": True,
        },
    ),
    Household(
        "mi-15-domestic-previous-address-implies-not-from-abroad",
        "moving-in",
        [person("世帯主", "1992-04-04", card=True)],
        must={"special-moving-in", "my-number-card-address"},
        never_ask={"from_abroad"},
        previous=OTHER_PREFECTURE,
        answers={**MOVE_NOS, "special_move_in": True, "expecting": False},
    ),
    Household(
        "mi-16-two-parent-family-is-not-asked-about-single-parent-allowance",
        "moving-in",
        [person("世帯主", "1984-04-04"), person("妻", "1985-04-04"), person("長女", "2017-04-04")],
        must={"child-allowance", "school-transfer", "vaccination-school-age"},
        must_not={"single-parent-allowance-move-in", "single-parent-medical-move-in"},
        never_ask={"receives_single_parent_allowance"},
        answers={
            **MOVE_NOS,
            "special_move_in": False,
            "from_abroad": False,
            "expecting": False,
            "has_my_number_card": False,
        },
    ),
    # ================================ 転出 (moving-out) ===============================
    Household(
        "mo-01-single-national-health-with-seal",
        "moving-out",
        [person("世帯主", "1996-05-05", insurance="national_health")],
        must={"moving-out-notice", "nhi-withdraw", "seal-return"},
        must_not={"pension-abroad", "my-number-card-abroad", "tax-administrator"},
        never_ask={"special_move_in", "from_abroad"},
        previous=HERE,
        new=SAME_PREFECTURE,
        answers={"has_seal_registration": True, "has_moped": False, "to_abroad": False},
    ),
    Household(
        "mo-02-family-toddler-in-daycare-and-second-grader",
        "moving-out",
        [
            person("世帯主", "1986-01-01"),
            person("妻", "1988-01-01"),
            person("長女", "2024-04-04"),
            person("長男", "2018-09-09"),
        ],
        must={"daycare-leaving", "child-allowance-end", "child-medical-return", "school-leaving"},
        previous=HERE,
        new=SAME_PREFECTURE,
        answers={
            "has_seal_registration": False,
            "has_moped": False,
            "to_abroad": False,
            "receives_single_parent_allowance": False,
            "lives_in_public_housing": False,
            "members.2.in_daycare": True,
        },
    ),
    Household(
        "mo-03-late-elderly-80-to-another-prefecture",
        "moving-out",
        [person("世帯主", "1946-01-01", insurance="late_elderly")],
        must={"late-elderly-withdraw", "late-elderly-burden-cert", "care-withdraw"},
        must_not={"pension-abroad", "nhi-withdraw"},
        previous=HERE,
        new=OTHER_PREFECTURE,
        answers={"has_seal_registration": False, "has_moped": False, "to_abroad": False},
    ),
    Household(
        "mo-04-japanese-couple-moving-abroad",
        "moving-out",
        [
            person("世帯主", "1990-01-01", insurance="national_health", card=True),
            person("妻", "1991-01-01", insurance="national_health"),
        ],
        must={
            "moving-out-notice",
            "nhi-withdraw",
            "pension-abroad",
            "my-number-card-abroad",
            "tax-administrator",
        },
        must_not={"late-elderly-burden-cert", "pension-lump-sum-withdrawal"},
        never_ask={"prefecture_changed"},
        previous=HERE,
        new=ABROAD,
        answers={
            "to_abroad": True,
            "has_seal_registration": False,
            "has_moped": False,
            "lives_in_public_housing": False,
            "members.1.has_my_number_card": False,
            "members.0.paid_resident_tax": True,
            "members.1.paid_resident_tax": False,
        },
    ),
    Household(
        "mo-10-retired-62-moving-abroad-may-join-voluntarily",
        "moving-out",
        [person("世帯主", "1964-06-06", insurance="national_health")],
        must={"moving-out-notice", "pension-abroad", "nhi-withdraw"},
        must_not={"pension-lump-sum-withdrawal", "care-withdraw"},
        previous=HERE,
        new=ABROAD,
        answers={
            "to_abroad": True,
            "has_seal_registration": False,
            "has_moped": False,
            "lives_in_public_housing": False,
            "has_my_number_card": False,
            "paid_resident_tax": False,
        },
    ),
    Household(
        "mo-05-foreign-worker-leaving-japan",
        "moving-out",
        [person("世帯主", "1996-02-02", nationality="VN")],
        must={"moving-out-notice", "pension-lump-sum-withdrawal"},
        must_not={"pension-abroad"},
        previous=HERE,
        new=ABROAD_VN,
        answers={
            "to_abroad": True,
            "has_seal_registration": False,
            "has_moped": False,
            "lives_in_public_housing": False,
            "has_my_number_card": False,
            "paid_resident_tax": False,
        },
    ),
    Household(
        "mo-06-abroad-new-address-implies-to-abroad",
        "moving-out",
        [person("世帯主", "1990-01-01", insurance="national_health")],
        must={"moving-out-notice", "pension-abroad"},
        never_ask={"to_abroad", "prefecture_changed"},
        previous=HERE,
        new=ABROAD,
        answers={
            "has_seal_registration": False,
            "has_moped": False,
            "lives_in_public_housing": False,
            "has_my_number_card": False,
            "paid_resident_tax": False,
        },
    ),
    Household(
        "mo-07-single-parent-with-fourth-grader",
        "moving-out",
        [person("世帯主", "1989-03-03"), person("長女", "2016-05-05")],
        must={
            "single-parent-allowance-move-out",
            "single-parent-medical-end",
            "child-allowance-end",
            "school-leaving",
        },
        previous=HERE,
        new=SAME_PREFECTURE,
        answers={
            "has_seal_registration": False,
            "has_moped": False,
            "to_abroad": False,
            "receives_single_parent_allowance": True,
            "lives_in_public_housing": False,
        },
    ),
    Household(
        "mo-08-public-housing-tenant-with-moped",
        "moving-out",
        [person("世帯主", "1970-04-04")],
        must={"public-housing-leaving", "moped-abolish", "moving-out-notice"},
        previous=HERE,
        new=SAME_PREFECTURE,
        answers={
            "has_seal_registration": False,
            "has_moped": True,
            "to_abroad": False,
            "lives_in_public_housing": True,
        },
    ),
    Household(
        "mo-09-adult-with-severe-disability",
        "moving-out",
        [person("世帯主", "1978-08-08", insurance="national_health", disability=True)],
        must={"severe-disability-medical-end", "nhi-withdraw"},
        previous=HERE,
        new=SAME_PREFECTURE,
        answers={
            "has_seal_registration": False,
            "has_moped": False,
            "to_abroad": False,
            "lives_in_public_housing": False,
            "members.0.severe_disability": True,
        },
    ),
    # ============================== 転居 (moving-within) ==============================
    Household(
        "mw-01-national-health-family-district-changes-dog",
        "moving-within",
        [
            person("世帯主", "1984-01-01", insurance="national_health", card=True),
            person("長女", "2016-10-10", insurance="national_health"),
        ],
        must={
            "moving-within-notice",
            "my-number-card-address",
            "nhi-address",
            "child-allowance-address",
            "child-medical-address",
            "school-transfer-within",
            "dog-address",
        },
        never_ask={"prefecture_changed", "from_abroad", "special_move_in", "to_abroad"},
        previous=HERE,
        new="東京都千代田区神田見本町３－３",
        answers={
            "school_district_changed": True,
            "has_dog": True,
            "has_moped": False,
            "receives_single_parent_allowance": False,
            "lives_in_public_housing": False,
        },
    ),
    Household(
        "mw-02-single-parent-child-in-daycare",
        "moving-within",
        [person("世帯主", "1993-03-03"), person("長男", "2021-06-06")],
        must={
            "single-parent-allowance-address",
            "single-parent-medical-address",
            "daycare-address",
            "child-allowance-address",
            "child-medical-address",
        },
        must_not={"school-transfer-within"},
        never_ask={"school_district_changed"},
        previous=HERE,
        answers={
            "has_dog": False,
            "has_moped": False,
            "receives_single_parent_allowance": True,
            "lives_in_public_housing": False,
            "has_my_number_card": False,
            "members.1.in_daycare": True,
        },
    ),
    Household(
        "mw-03-late-elderly-76-care-certified",
        "moving-within",
        [person("世帯主", "1950-05-05", insurance="late_elderly", care=True)],
        must={"late-elderly-address", "care-address"},
        must_not={"nhi-address", "child-allowance-address"},
        never_ask={"receives_single_parent_allowance", "school_district_changed"},
        previous=HERE,
        answers={
            "has_dog": False,
            "has_moped": False,
            "lives_in_public_housing": False,
            "has_my_number_card": False,
        },
    ),
    Household(
        "mw-04-child-10-with-severe-disability",
        "moving-within",
        [person("世帯主", "1985-05-05"), person("長男", "2016-02-02", disability=True)],
        must={
            "disability-address",
            "special-child-allowance-address",
            "severe-disability-medical-address",
        },
        previous=HERE,
        answers={
            "has_dog": False,
            "has_moped": False,
            "school_district_changed": False,
            "receives_single_parent_allowance": False,
            "lives_in_public_housing": False,
            "has_my_number_card": False,
            "members.1.severe_disability": True,
            "members.1.receives_disability_allowance": True,
        },
    ),
    Household(
        "mw-05-public-housing-with-moped",
        "moving-within",
        [person("世帯主", "1965-06-06")],
        must={"public-housing-leaving", "moped-address", "moving-within-notice"},
        previous=HERE,
        answers={
            "has_dog": False,
            "has_moped": True,
            "lives_in_public_housing": True,
            "has_my_number_card": False,
        },
    ),
    Household(
        "mw-06-foreign-resident-with-card",
        "moving-within",
        [person("世帯主", "1991-09-09", nationality="BR", card=True)],
        must={"foreign-resident-address", "my-number-card-address", "moving-within-notice"},
        previous=HERE,
        answers={"has_dog": False, "has_moped": False, "lives_in_public_housing": False},
    ),
    # ================================= 出生 (birth) ===================================
    Household(
        "b-01-national-health-couple-mother-self-employed",
        "birth",
        [
            person("世帯主", "1992-01-01", insurance="national_health"),
            person("妻", "1994-01-01", insurance="national_health"),
            concerned(person("長男", "2026-11-18", insurance="national_health")),
        ],
        must={
            "birth-notice",
            "nhi-enroll",
            "childbirth-lump-sum",
            "child-allowance",
            "child-medical",
            "infant-health",
            "birth-support-benefit",
            "nhi-maternity-exemption",
            "pension-maternity-exemption",
        },
        must_not={"employer-dependent-newborn"},
        answers={
            "members.0.gave_birth": False,
            "members.1.gave_birth": True,
            "low_birth_weight": False,
            "receives_single_parent_allowance": False,
            "needs_childcare": False,
        },
    ),
    Household(
        "b-02-employee-couple",
        "birth",
        [
            person("世帯主", "1990-02-02"),
            person("妻", "1991-02-02"),
            concerned(person("長女", "2026-11-15")),
        ],
        must={"birth-notice", "birth-support-benefit", "employer-dependent-newborn"},
        must_not={"nhi-enroll", "childbirth-lump-sum", "nhi-maternity-exemption"},
        never_ask={"members.0.gave_birth", "members.1.gave_birth"},
        answers={
            "low_birth_weight": False,
            "receives_single_parent_allowance": False,
            "needs_childcare": False,
        },
    ),
    Household(
        "b-03-low-birth-weight-in-neonatal-care",
        "birth",
        [
            person("世帯主", "1990-02-02"),
            person("妻", "1991-02-02"),
            concerned(person("長男", "2026-11-10")),
        ],
        must={"low-birth-weight", "premature-infant-medical", "birth-notice"},
        answers={
            "low_birth_weight": True,
            "needs_neonatal_care": True,
            "receives_single_parent_allowance": False,
            "needs_childcare": False,
        },
    ),
    Household(
        "b-04-single-parent-receiving-allowance",
        "birth",
        [
            person("世帯主", "1995-05-05"),
            person("長女", "2021-03-03"),
            concerned(person("次女", "2026-11-19")),
        ],
        must={"single-parent-allowance-increase", "birth-notice", "birth-support-benefit"},
        answers={
            "low_birth_weight": False,
            "receives_single_parent_allowance": True,
            "needs_childcare": False,
        },
    ),
    Household(
        "b-05-foreign-newborn",
        "birth",
        [
            person("世帯主", "1990-07-07", nationality="VN"),
            person("妻", "1992-07-07", nationality="VN"),
            concerned(person("長男", "2026-11-12", nationality="VN")),
        ],
        must={"foreign-newborn-status", "birth-notice", "child-allowance"},
        answers={
            "low_birth_weight": False,
            "receives_single_parent_allowance": False,
            "needs_childcare": False,
        },
    ),
    Household(
        "b-06-second-child-is-an-amount-revision",
        "birth",
        [
            person("世帯主", "1988-01-01"),
            person("妻", "1989-01-01"),
            person("長男", "2022-05-05"),
            concerned(person("次男", "2026-11-11")),
        ],
        must={"birth-notice"},
        must_not={"child-allowance"},
        answers={
            "low_birth_weight": False,
            "receives_single_parent_allowance": False,
            "needs_childcare": False,
            "receives_child_allowance": True,
        },
    ),
    Household(
        "b-07-newborn-birth-date-is-the-event-date",
        "birth",
        [
            person("世帯主", "1990-02-02"),
            person("妻", "1991-02-02"),
            concerned(without(person("長女", "2026-11-20"), "birth_date")),
        ],
        must={"birth-notice", "child-allowance", "birth-support-benefit"},
        never_ask={"members.2.birth_date"},
        answers={
            "low_birth_weight": False,
            "receives_single_parent_allowance": False,
            "needs_childcare": False,
        },
    ),
    # ================================= 死亡 (death) ===================================
    Household(
        "d-01-head-72-national-health-wife-and-son-remain",
        "death",
        [
            died("世帯主", "1954-01-01", insurance="national_health"),
            alive("妻", "1956-01-01", insurance="national_health"),
            alive("長男", "1981-01-01"),
        ],
        must={
            "death-notice",
            "cremation-permit",
            "head-change",
            "nhi-withdraw",
            "nhi-head-change-death",
            "nhi-tax-settlement",
            "funeral-expenses",
            "pension-survivor",
            "care-withdraw",
            "care-premium-settlement",
            "seal-closure-death",
            "resident-tax-heir",
            "property-tax-heir",
            "inheritance-registration",
            "water-name-change",
        },
        must_not={
            "survivor-basic-pension",
            "pension-death-lump-sum",
            "single-parent-allowance-death",
            "late-elderly-withdraw",
            "survivor-employee-pension",
        },
        answers={
            **OKUYAMI_NOS,
            "members.0.receiving_pension": True,
            "members.0.has_seal_registration": True,
            "members.0.paid_resident_tax": True,
            "members.0.owned_real_estate": True,
            "members.0.owned_unregistered_house": False,
            "members.0.water_account_holder": True,
        },
    ),
    Household(
        "d-02-single-85-late-elderly-care-disability",
        "death",
        [
            died(
                "世帯主",
                "1941-01-01",
                insurance="late_elderly",
                care=True,
                disability=True,
            )
        ],
        must={
            "death-notice",
            "cremation-permit",
            "late-elderly-withdraw",
            "late-elderly-premium-settlement",
            "funeral-expenses",
            "care-withdraw",
            "care-premium-settlement",
            "high-care-cost-deceased",
            "disability-return",
            "disability-services-return",
            "disability-allowance-end",
            "municipal-grave-succession",
        },
        must_not={"head-change", "nhi-head-change-death", "nhi-withdraw"},
        answers={
            **OKUYAMI_NOS,
            "members.0.receives_disability_allowance": True,
            "members.0.municipal_grave_holder": True,
            "members.0.severe_disability": False,
        },
    ),
    Household(
        "d-03-self-employed-father-45-leaves-wife-and-two-children",
        "death",
        [
            died("世帯主", "1981-04-04", insurance="national_health"),
            alive("妻", "1983-04-04", insurance="national_health"),
            alive("長女", "2014-04-10", insurance="national_health"),
            alive("長男", "2018-04-10", insurance="national_health"),
        ],
        must={
            "survivor-basic-pension",
            "single-parent-allowance-death",
            "single-parent-medical-death",
            "child-allowance-recipient-death",
            "nhi-head-change-death",
            "funeral-expenses",
            "nhi-withdraw",
        },
        must_not={"pension-death-lump-sum", "care-withdraw", "care-premium-settlement"},
        answers={**OKUYAMI_NOS, "members.0.receives_child_allowance": True},
    ),
    Household(
        "d-04-single-58-national-health-no-children",
        "death",
        [died("世帯主", "1968-06-06", insurance="national_health")],
        must={"pension-death-lump-sum", "nhi-withdraw", "nhi-tax-settlement", "funeral-expenses"},
        must_not={"survivor-basic-pension", "care-premium-settlement", "head-change"},
        never_ask={"spouse_restores_surname"},
        answers=OKUYAMI_NOS,
    ),
    Household(
        "d-05-employee-husband-dies-dependent-wife-leaves-insurance",
        "death",
        [
            died("世帯主", "1976-03-03"),
            alive("妻", "1978-03-03"),
            alive("長男", "2005-03-03"),
        ],
        must={
            "survivor-employee-pension",
            "nhi-enroll-leaving-dependent",
            "pension-category-change",
            "head-change",
        },
        must_not={"funeral-expenses", "nhi-withdraw", "survivor-basic-pension"},
        answers={
            **OKUYAMI_NOS,
            "members.1.leaves_dependent_insurance": True,
            "members.2.leaves_dependent_insurance": False,
        },
    ),
    Household(
        "d-06-wife-dies-head-and-first-grader-remain",
        "death",
        [
            alive("世帯主", "1984-02-02"),
            died("妻", "1986-02-02"),
            alive("長女", "2019-09-09"),
        ],
        must={"single-parent-allowance-death", "single-parent-medical-death", "cremation-permit"},
        must_not={"head-change", "nhi-head-change-death"},
        answers=OKUYAMI_NOS,
    ),
    Household(
        "d-07-single-70-on-public-assistance",
        "death",
        [died("世帯主", "1956-07-07", insurance="welfare")],
        must={"welfare-death-report", "care-withdraw", "cremation-permit"},
        must_not={"funeral-expenses", "nhi-withdraw", "late-elderly-withdraw"},
        answers=OKUYAMI_NOS,
    ),
    Household(
        "d-08-dog-moped-and-unregistered-house",
        "death",
        [died("世帯主", "1950-08-08", insurance="late_elderly"), alive("妻", "1952-08-08")],
        must={
            "dog-owner-change",
            "moped-deceased",
            "unregistered-house-owner-change",
            "property-tax-heir",
            "inheritance-registration",
        },
        answers={
            **OKUYAMI_NOS,
            "members.0.has_dog": True,
            "members.0.has_moped": True,
            "members.0.owned_real_estate": True,
            "members.0.owned_unregistered_house": True,
        },
    ),
    Household(
        "d-09-widow-restores-surname-and-needs-family-registers",
        "death",
        [died("世帯主", "1960-01-01", insurance="national_health"), alive("妻", "1965-01-01")],
        must={"restore-surname", "family-register-certificate"},
        answers={
            **OKUYAMI_NOS,
            "spouse_restores_surname": True,
            "wants_family_register_copy": True,
        },
    ),
    Household(
        "d-10-public-housing-tenant-dies-wife-remains",
        "death",
        [died("世帯主", "1948-05-05", insurance="late_elderly"), alive("妻", "1950-05-05")],
        must={"public-housing-succession", "late-elderly-withdraw"},
        answers={**OKUYAMI_NOS, "lives_in_public_housing": True},
    ),
    Household(
        "d-11-concerned-member-is-the-deceased",
        "death",
        [
            concerned(person("世帯主", "1950-01-01", insurance="late_elderly")),
            person("妻", "1952-01-01", insurance="late_elderly"),
            person("長男", "1980-01-01"),
        ],
        must={"death-notice", "cremation-permit", "late-elderly-withdraw", "head-change"},
        never_ask={"members.0.deceased", "members.1.deceased", "members.2.deceased"},
        answers=OKUYAMI_NOS,
    ),
    Household(
        "d-12-no-head-change-when-one-adult-remains-with-young-children",
        "death",
        [
            died("世帯主", "1986-06-06"),
            alive("妻", "1988-06-06"),
            alive("長男", "2016-06-06"),
            alive("長女", "2019-06-06"),
        ],
        must={"death-notice", "single-parent-allowance-death"},
        must_not={"head-change"},
        answers=OKUYAMI_NOS,
    ),
    Household(
        "d-13-late-elderly-80-with-high-medical-costs",
        "death",
        [died("世帯主", "1946-02-02", insurance="late_elderly"), alive("妻", "1948-02-02")],
        must={
            "high-medical-cost-deceased",
            "late-elderly-withdraw",
            "late-elderly-premium-settlement",
        },
        answers={**OKUYAMI_NOS, "members.0.had_high_medical_costs": True},
    ),
    Household(
        "d-14-national-health-60-severe-disability",
        "death",
        [died("世帯主", "1966-03-03", insurance="national_health", disability=True)],
        must={
            "severe-disability-medical-end",
            "disability-return",
            "disability-services-return",
            "nhi-withdraw",
        },
        answers={**OKUYAMI_NOS, "members.0.severe_disability": True},
    ),
    Household(
        "d-15-grandmother-dies-grandchildren-are-not-her-survivors",
        "death",
        [
            alive("世帯主", "1984-03-03"),
            alive("妻", "1985-03-03"),
            alive("長男", "2015-03-03"),
            died("母", "1968-03-03", insurance="national_health"),
        ],
        must={
            "death-notice",
            "cremation-permit",
            "nhi-withdraw",
            "funeral-expenses",
            "pension-death-lump-sum",
        },
        must_not={
            "survivor-basic-pension",
            "single-parent-allowance-death",
            "single-parent-medical-death",
            "head-change",
            "restore-surname",
        },
        never_ask={"spouse_restores_surname"},
        answers=OKUYAMI_NOS,
    ),
    # ================================ 婚姻 (marriage) =================================
    Household(
        "m-01-wife-joins-husbands-insurance-and-changes-name",
        "marriage",
        [
            person("世帯主", "1994-01-01"),
            concerned(person("妻", "1996-03-03", insurance="national_health", card=True)),
        ],
        must={
            "marriage-notice",
            "my-number-card-name",
            "e-certificate-name",
            "nhi-withdraw-joining-spouse",
            "seal-reregistration-name",
        },
        must_not={"single-parent-allowance-end"},
        answers={
            "members.0.name_changes": False,
            "members.1.name_changes": True,
            "members.1.has_seal_registration": True,
            "members.1.joins_spouse_insurance": True,
            "receives_single_parent_allowance": False,
            "lives_in_public_housing": False,
        },
    ),
    Household(
        "m-02-husband-takes-wifes-surname",
        "marriage",
        [
            concerned(person("夫", "1991-05-05", card=True)),
            person("世帯主", "1992-05-05", card=True),
        ],
        must={"my-number-card-name", "e-certificate-name"},
        must_not={"nhi-name-change", "nhi-withdraw-joining-spouse"},
        answers={
            "members.0.name_changes": True,
            "members.1.name_changes": False,
            "members.0.has_seal_registration": False,
            "lives_in_public_housing": False,
        },
    ),
    Household(
        "m-03-single-parent-remarries",
        "marriage",
        [
            person("世帯主", "1985-01-01"),
            concerned(person("妻", "1988-01-01")),
            person("長女", "2015-01-01"),
        ],
        must={"single-parent-allowance-end", "single-parent-medical-end", "marriage-notice"},
        answers={
            "name_changes": False,
            "receives_single_parent_allowance": True,
            "lives_in_public_housing": False,
        },
    ),
    Household(
        "m-04-late-marriage-at-76-name-changes",
        "marriage",
        [
            person("世帯主", "1948-01-01", insurance="late_elderly"),
            concerned(person("妻", "1950-09-09", insurance="late_elderly")),
        ],
        must={"late-elderly-name-change", "care-name-change"},
        must_not={"pension-name-change", "nhi-name-change"},
        answers={
            "members.0.name_changes": False,
            "members.1.name_changes": True,
            "has_my_number_card": False,
            "has_seal_registration": False,
            "lives_in_public_housing": False,
        },
    ),
    Household(
        "m-05-name-change-with-disability-certificate",
        "marriage",
        [person("世帯主", "1990-01-01"), concerned(person("妻", "1992-01-01", disability=True))],
        must={"disability-name-change"},
        answers={
            "members.0.name_changes": False,
            "members.1.name_changes": True,
            "has_my_number_card": False,
            "has_seal_registration": False,
            "lives_in_public_housing": False,
        },
    ),
    Household(
        "m-06-no-name-change",
        "marriage",
        [person("世帯主", "1990-01-01", card=True), concerned(person("妻", "1992-01-01"))],
        must={"marriage-notice"},
        must_not={"my-number-card-name", "e-certificate-name", "seal-reregistration-name"},
        never_ask={"members.0.has_seal_registration", "members.1.has_seal_registration"},
        answers={"name_changes": False, "lives_in_public_housing": False},
    ),
    Household(
        "m-07-marriage-in-public-housing",
        "marriage",
        [person("世帯主", "1980-01-01"), concerned(person("妻", "1982-01-01"))],
        must={"public-housing-name-change", "marriage-notice"},
        answers={"name_changes": False, "lives_in_public_housing": True},
    ),
    # ================================= 離婚 (divorce) =================================
    Household(
        "dv-01-mother-leaves-husbands-insurance-keeps-children",
        "divorce",
        [
            concerned(person("世帯主", "1991-01-01", card=True)),
            person("長女", "2020-05-05"),
            person("長男", "2023-05-05"),
        ],
        must={
            "divorce-notice",
            "nhi-enroll-leaving-dependent",
            "pension-category-change",
            "child-allowance-recipient-change",
            "single-parent-allowance",
            "single-parent-medical",
            "my-number-card-name",
            "e-certificate-name",
        },
        must_not={"keep-married-surname", "child-entry-notice"},
        answers={
            "members.0.name_changes": True,
            "members.0.leaves_dependent_insurance": True,
            "members.0.has_seal_registration": False,
            "members.1.name_changes": False,
            "members.2.name_changes": False,
            "members.1.leaves_dependent_insurance": False,
            "members.2.leaves_dependent_insurance": False,
            "child_allowance_recipient_leaves": True,
            "keeps_married_surname": False,
            "child_surname_change": False,
            "lives_in_public_housing": False,
        },
    ),
    Household(
        "dv-02-keeps-married-surname",
        "divorce",
        [concerned(person("世帯主", "1985-02-02", insurance="national_health"))],
        must={"keep-married-surname", "divorce-notice"},
        must_not={"my-number-card-name", "nhi-name-change", "single-parent-allowance"},
        never_ask={"child_surname_change", "child_allowance_recipient_leaves"},
        answers={
            "keeps_married_surname": True,
            "name_changes": False,
            "leaves_dependent_insurance": False,
            "lives_in_public_housing": False,
        },
    ),
    Household(
        "dv-03-child-takes-mothers-surname",
        "divorce",
        [concerned(person("世帯主", "1987-03-03")), person("長男", "2013-03-03")],
        must={"child-entry-notice", "single-parent-allowance"},
        answers={
            "name_changes": False,
            "keeps_married_surname": False,
            "child_surname_change": True,
            "child_allowance_recipient_leaves": False,
            "leaves_dependent_insurance": False,
            "lives_in_public_housing": False,
        },
    ),
    Household(
        "dv-04-seal-with-the-old-surname",
        "divorce",
        [concerned(person("世帯主", "1980-04-04", insurance="national_health"))],
        must={"seal-reregistration-name", "nhi-name-change", "pension-name-change"},
        answers={
            "members.0.name_changes": True,
            "members.0.has_seal_registration": True,
            "has_my_number_card": False,
            "keeps_married_surname": False,
            "leaves_dependent_insurance": False,
            "lives_in_public_housing": False,
        },
    ),
    Household(
        "dv-05-no-children-national-health",
        "divorce",
        [concerned(person("世帯主", "1976-05-05", insurance="national_health"))],
        must={"divorce-notice", "nhi-name-change"},
        must_not={"single-parent-allowance", "child-allowance-recipient-change"},
        never_ask={"child_allowance_recipient_leaves", "child_surname_change"},
        answers={
            "name_changes": True,
            "has_my_number_card": False,
            "has_seal_registration": False,
            "keeps_married_surname": False,
            "leaves_dependent_insurance": False,
            "lives_in_public_housing": False,
        },
    ),
    Household(
        "dv-06-divorce-in-public-housing",
        "divorce",
        [concerned(person("世帯主", "1975-06-06"))],
        must={"public-housing-name-change"},
        answers={
            "name_changes": False,
            "keeps_married_surname": False,
            "leaves_dependent_insurance": False,
            "lives_in_public_housing": True,
        },
    ),
    Household(
        "dv-07-only-the-concerned-spouses-surname-changes",
        "divorce",
        [concerned(person("世帯主", "1990-07-07", card=True)), person("長女", "2012-07-07")],
        must={"divorce-notice", "my-number-card-name", "single-parent-allowance"},
        never_ask={"members.1.name_changes"},
        answers={
            "members.0.name_changes": True,
            "members.0.has_seal_registration": False,
            "members.1.has_my_number_card": True,
            "keeps_married_surname": False,
            "child_surname_change": False,
            "child_allowance_recipient_leaves": False,
            "leaves_dependent_insurance": False,
            "lives_in_public_housing": False,
        },
    ),
    # ========================= 世帯変更 (household-change) ============================
    Household(
        "hc-01-new-head-on-national-health",
        "household-change",
        [
            person("世帯主", "1996-05-05", insurance="national_health"),
            person("母", "1965-01-01", insurance="national_health"),
        ],
        must={"household-change-notice", "head-change", "nhi-head-change"},
        must_not={"nhi-household-change"},
        answers={
            "head_changes": True,
            "lives_in_public_housing": False,
        },
    ),
    Household(
        "hc-02-split-same-head-national-health",
        "household-change",
        [
            person("世帯主", "1960-01-01", insurance="national_health"),
            person("長男", "1995-01-01", insurance="national_health"),
        ],
        must={"household-change-notice", "nhi-household-change"},
        must_not={"head-change", "nhi-head-change"},
        answers={"head_changes": False, "lives_in_public_housing": False},
    ),
    Household(
        "hc-03-new-head-named-in-the-record",
        "household-change",
        [
            person("世帯主", "1958-01-01", insurance="national_health"),
            person("長男", "1990-01-01", insurance="national_health"),
        ],
        must={"household-change-notice", "head-change", "nhi-head-change"},
        never_ask={"head_changes"},
        extra={"household_head": "見本　世帯主", "new_household_head": "見本　長男"},
        answers={"lives_in_public_housing": False},
    ),
    Household(
        "hc-04-child-allowance-recipient-moves-out",
        "household-change",
        [person("世帯主", "1989-01-01"), person("長女", "2017-01-01")],
        must={"child-allowance-recipient-change"},
        answers={
            "head_changes": False,
            "child_allowance_recipient_leaves": True,
            "lives_in_public_housing": False,
        },
    ),
    Household(
        "hc-05-employee-household-same-head",
        "household-change",
        [person("世帯主", "1986-05-05"), person("妻", "1988-07-07")],
        must={"household-change-notice"},
        must_not={"nhi-household-change", "nhi-head-change", "head-change"},
        never_ask={"child_allowance_recipient_leaves"},
        answers={"head_changes": False, "lives_in_public_housing": False},
    ),
    # ============================== 証明書 (certificate) ==============================
    Household(
        "c-01-residence-twice-and-tax",
        "certificate",
        [person("世帯主", "1986-05-05")],
        must={"residence-certificate", "tax-certificate"},
        must_not={"family-register-certificate", "tax-payment-certificate", "seal-certificate"},
        never_ask={"has_dog", "from_abroad", "special_move_in", "to_abroad"},
        certificates=[
            {"kind": "residence", "copies": 2, "scope": "household"},
            {"kind": "tax", "fiscal_year": 2026, "tax_kind": "income_taxation"},
        ],
        answers={"wants_family_register_copy": False, "wants_tax_payment_certificate": False},
    ),
    Household(
        "c-02-removed-residence-record",
        "certificate",
        [person("世帯主", "1950-05-05")],
        must={"residence-removed-certificate"},
        must_not={"residence-certificate"},
        certificates=[{"kind": "residence_removed"}],
        answers={"wants_family_register_copy": False, "wants_tax_payment_certificate": False},
    ),
    Household(
        "c-03-family-register-attachment",
        "certificate",
        [person("世帯主", "1970-05-05")],
        must={"family-register-attachment-certificate"},
        certificates=[{"kind": "family_register_attachment"}],
        answers={"wants_family_register_copy": False, "wants_tax_payment_certificate": False},
    ),
    Household(
        "c-04-family-register-and-tax-payment",
        "certificate",
        [person("世帯主", "1970-05-05")],
        must={"family-register-certificate", "tax-payment-certificate"},
        must_not={"residence-certificate"},
        answers={"wants_family_register_copy": True, "wants_tax_payment_certificate": True},
    ),
    Household(
        "c-05-seal-certificate",
        "certificate",
        [person("世帯主", "1970-05-05")],
        must={"seal-certificate"},
        certificates=[{"kind": "seal", "copies": 1}],
        answers={"wants_family_register_copy": False, "wants_tax_payment_certificate": False},
    ),
    Household(
        "c-06-moving-in-with-a-removed-record-for-the-old-address",
        "moving-in",
        [person("世帯主", "1990-05-05")],
        must={"moving-in-notice", "residence-removed-certificate"},
        certificates=[{"kind": "residence_removed"}],
        answers={**MOVE_NOS, "special_move_in": False, "from_abroad": False, "expecting": False},
    ),
]


# --- facts an event implies: never asked ---------------------------------------------------

MOVE_IN_ONLY = ("from_abroad", "special_move_in")
IN_JAPAN = (SAME_PREFECTURE, HERE, OTHER_PREFECTURE)
ABROAD_ADDRESSES = (ABROAD, ABROAD_VN)


def implied_questions(scenario: Household, record: VisitRecord) -> set[str]:
    """Question ids the event (or the record) already answers."""
    implied = set(scenario.never_ask)
    if scenario.event != "moving-in":
        implied |= set(MOVE_IN_ONLY)
    if scenario.event != "moving-out":
        implied.add("to_abroad")
    if scenario.event == "moving-within":
        implied.add("prefecture_changed")
    if scenario.event == "moving-in" and record.facts.get("from_abroad") is True:
        implied.add("special_move_in")
    if scenario.answers.get("from_abroad") is True:
        implied.add("special_move_in")
    implied |= _implied_by_the_addresses(record)
    if record.new_household_head:
        implied.add("head_changes")
    someone_concerned = any(member.concerned for member in record.members)
    for index, member in enumerate(record.members):
        if scenario.event == "death" and (member.concerned or member.deceased is not None):
            implied.add(f"members.{index}.deceased")
        if scenario.event == "divorce" and someone_concerned and not member.concerned:
            implied.add(f"members.{index}.name_changes")  # only the spouse concerned
        if member.birth_date is not None:
            implied.add(f"members.{index}.birth_date")
    return implied


def _implied_by_the_addresses(record: VisitRecord) -> set[str]:
    implied = set()
    if record.previous_address in IN_JAPAN and record.new_address in IN_JAPAN:
        implied.add("prefecture_changed")
    if record.previous_address in IN_JAPAN or record.previous_address in ABROAD_ADDRESSES:
        implied.add("from_abroad")
    if record.previous_address in ABROAD_ADDRESSES:
        implied.add("special_move_in")  # 特例転入 needs a 転出届 filed in Japan
    if record.new_address in IN_JAPAN or record.new_address in ABROAD_ADDRESSES:
        implied.add("to_abroad")
    return implied


@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.id) for s in SCENARIOS])
def test_household_scenario(
    scenario: Household,
    catalog: CompiledCatalog,
    record_property: Callable[[str, object], None],
) -> None:
    record = scenario.record()
    result = evaluate(record, catalog, scenario.answers)
    open_questions = [question.id for question in result.questions]
    record_property("scenario", scenario.id)
    record_property("open_questions", len(open_questions))
    # the interview's size: what the engine asks before the household has answered anything
    record_property("questions_before_answers", len(evaluate(record, catalog).questions))
    listed = {procedure.id for procedure in result.procedures}
    assert scenario.must - listed == set(), f"missing; open questions: {open_questions}"
    assert scenario.must_not & listed == set()
    assert set(open_questions) & implied_questions(scenario, record) == set()


# --- the table itself ----------------------------------------------------------------------


def test_table_covers_the_nine_events_with_sixty_households(catalog: CompiledCatalog) -> None:
    assert len(SCENARIOS) >= 60
    assert len({scenario.id for scenario in SCENARIOS}) == len(SCENARIOS)
    assert {scenario.event for scenario in SCENARIOS} == set(EVENTS)
    known = {procedure.id for procedure in catalog.spec.procedures}
    for scenario in SCENARIOS:
        assert scenario.must, scenario.id
        assert (scenario.must | scenario.must_not) <= known, scenario.id
        assert not scenario.must & scenario.must_not, scenario.id


# --- the catalog the scenarios run against ------------------------------------------------

ISSUE_15_FIRST = "cremation-permit"  # the first procedure of the issue-15 block


def _facts_read(catalog: CompiledCatalog) -> set[tuple[str, str]]:
    read: set[tuple[str, str]] = set()
    for procedure in catalog.spec.procedures:
        conditions = [(rule.when, False) for rule in procedure.rules]
        conditions += [(rule.member, True) for rule in procedure.rules]
        conditions += [(item.when, False) for item in procedure.items if not isinstance(item, str)]
        for node, member in conditions:
            if node is None:
                continue
            compiled = (
                compile_member_condition(node) if member else compile_household_condition(node)
            )
            read |= {("member" if f.member else "household", f.name) for f in compiled.facts}
    return read


def test_every_question_decides_a_procedure(catalog: CompiledCatalog) -> None:
    read = _facts_read(catalog)
    unused = [q.id for q in catalog.spec.questions if (q.scope, q.fact_name) not in read]
    assert unused == []


def test_catalog_size_and_sources(catalog: CompiledCatalog) -> None:
    procedures = catalog.spec.procedures
    assert len(procedures) >= 120
    ids = [procedure.id for procedure in procedures]
    block = procedures[ids.index(ISSUE_15_FIRST) :]
    assert [p.id for p in block if not p.source] == []
    assert [p.id for p in block if not p.items] == []  # what to bring, for every procedure
    death = [p for p in procedures if "death" in p.events and p.counter != "chogai"]
    assert len(death) >= 30  # おくやみ: at least 30 procedures at the city


def test_a_fee_in_a_note_matches_the_fee_or_says_it_varies(catalog: CompiledCatalog) -> None:
    for procedure in catalog.spec.procedures:
        for note in procedure.notes:
            if "円" in note and str(procedure.fee_yen) not in note.replace(",", ""):
                assert any(word in note for word in ("異な", "見本", "目安", "標準")), (
                    procedure.id,
                    note,
                )


def test_cremation_permit_is_due_with_the_death_notice(catalog: CompiledCatalog) -> None:
    (scenario,) = [s for s in SCENARIOS if s.id.startswith("d-04-")]
    result = evaluate(scenario.record(), catalog, scenario.answers)
    deadlines = {p.id: p.deadline for p in result.procedures}
    assert deadlines["cremation-permit"] == deadlines["death-notice"]
    assert str(deadlines["death-notice"]) == "2026-11-26"  # the day of death is day 1
