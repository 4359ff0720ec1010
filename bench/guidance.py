"""Benchmark: evaluate a 6-member household against the sample catalog as it has grown.

Target: median evaluation of the sample catalog (backend/guidance/catalogs/default.yaml) for a
6-member household ≤ 1 ms. Also measured in the same run: the same household in the middle of
the interview (a death with most facts unknown, so each open fact is tried with every answer),
a generated 200-procedure catalog, and as the baseline a bare loop calling as many trivial
predicates as the engine evaluates conditions (procedures × rules × members).

    .venv/bin/python bench/guidance.py
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

# the repository first: a bench script must never shadow a package of the project
sys.path.insert(0, str(Path(__file__).parents[1]))

import yaml

from backend.guidance.catalog import CompiledCatalog, load_default_catalog, parse_catalog
from backend.guidance.engine import evaluate
from contracts import VisitRecord

PROCEDURES = 200
RUNS = 2000
EVENTS = ["moving-in", "moving-within", "birth"]
INSURANCES = ["national_health", "employee", "late_elderly"]


def generated_catalog(count: int = PROCEDURES) -> str:
    """A catalog in which every procedure applies to moving-in, with varied conditions."""
    questions = [
        {"id": f"fact_{n}", "type": "bool", "text": {"ja": f"質問{n}", "en": f"Q{n}"}}
        for n in range(10)
    ] + [
        {
            "id": "insurance",
            "scope": "member",
            "type": "choice",
            "choices": [*INSURANCES, "welfare", "none"],
            "text": {"ja": "{member}の保険", "en": "insurance of {member}"},
        },
        {"id": "prefecture_changed", "type": "bool", "text": {"ja": "県外", "en": "other pref."}},
        {
            "id": "birth_date",
            "scope": "member",
            "type": "text",
            "text": {"ja": "生年月日", "en": "born"},
        },
        {
            "id": "disability_certificate",
            "scope": "member",
            "type": "bool",
            "text": {"ja": "手帳", "en": "certificate"},
        },
    ]
    procedures = []
    for n in range(count):
        low = (n * 7) % 80
        member_condition = {
            "all": [
                {"age": {"min": low, "max": low + 15}},
                {"any": [{"insurance": [INSURANCES[n % 3]]}, {"disability_certificate": True}]},
            ]
        }
        procedures.append(
            {
                "id": f"proc-{n:03d}",
                "name": f"手続{n}",
                "department": f"d{n % 12}",
                "counter": f"c{n % 20}",
                "events": ["moving-in", EVENTS[n % 3]],
                "rules": [
                    {
                        "reason": "{member}が対象のため",
                        "when": {"not": {"fact": {"name": f"fact_{n % 10}", "is": True}}},
                        "member": member_condition,
                    },
                    {"reason": "届出があるため", "when": {"fact": f"fact_{(n + 3) % 10}"}},
                ],
                "items": ["本人確認書類", {"text": "証明書", "when": {"prefecture_changed": True}}],
                "deadline": {"days": 14},
                "minutes": 5 + n % 10,
                "fee_yen": 0 if n % 4 else 300,
                "forms": ["checklist"],
            }
        )
    catalog = {
        "catalog": {"id": "bench", "version": "1", "title": "bench"},
        "departments": [{"id": f"d{n}", "name": f"課{n}"} for n in range(12)],
        "counters": [
            {
                "id": f"c{n}",
                "name": f"窓口{n}",
                "department": f"d{n % 12}",
                "floor": 1 + n // 5,
                "order": n,
            }
            for n in range(20)
        ],
        "questions": questions,
        "procedures": procedures,
    }
    return yaml.safe_dump(catalog, allow_unicode=True, sort_keys=False)


# The sample catalog's household facts, answered as a clerk would have by the end.
SAMPLE_FACTS = {
    "special_move_in": False,
    "from_abroad": False,
    "wants_seal_registration": True,
    "has_dog": True,
    "has_moped": False,
    "school_district_changed": False,
    "low_birth_weight": False,
}


def household(
    event: str = "moving-in", facts: dict[str, object] | None = None, known: bool = True
) -> VisitRecord:
    """Six synthetic members across the ages; ``known=False`` leaves insurance and
    certificates unknown (as before the interview)."""
    births = ["1944-03-03", "1952-05-05", "1980-02-17", "1983-08-08", "2014-06-06", "2021-01-01"]
    relationships = ["世帯主", "母", "長男", "長男の妻", "孫", "孫"]
    members = [
        {
            "name": f"見本　{relationship}",
            "relationship": relationship,
            "birth_date": born,
            "nationality": "JP",
            "source": "card",
        }
        | (
            {
                "insurance": INSURANCES[index % 3],
                "disability_certificate": index == 1,
                "care_certified": False,
            }
            if known
            else {}
        )
        for index, (relationship, born) in enumerate(zip(relationships, births, strict=True))
    ]
    if event == "death":
        members[0]["deceased"] = True
    return VisitRecord.model_validate(
        {
            "tenant": {"code": "131016", "name": "千代田区"},
            "event": event,
            "event_date": "2026-11-20",
            "filed_on": "2026-11-24",
            "previous_address": "大阪府大阪市北区梅田１－１",
            "new_address": "東京都千代田区九段南１－２－１",
            "members": members,
            "facts": facts if facts is not None else SAMPLE_FACTS,
        }
    )


def median_ms(action: Callable[[], object], runs: int = RUNS) -> float:
    for _ in range(50):
        action()
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        action()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1e6


def bare_loop(predicates: int) -> Callable[[], object]:
    checks = [lambda age, n=n: n <= age <= n + 15 for n in range(predicates)]

    def run() -> int:
        return sum(1 for check in checks if check(40))

    return run


def main() -> None:
    default = load_default_catalog()
    record = household()
    interview = household("death", facts={}, known=False)
    text = generated_catalog()
    start = time.perf_counter()
    big: CompiledCatalog = parse_catalog(text, "generated")
    load_ms = (time.perf_counter() - start) * 1000
    big_record = household(facts={f"fact_{n}": n % 2 == 0 for n in range(10)})

    rules = sum(len(p.rules) for p in default.procedures)
    predicates = rules * len(record.members)
    default_ms = median_ms(lambda: evaluate(record, default))
    interview_ms = median_ms(lambda: evaluate(interview, default))
    big_ms = median_ms(lambda: evaluate(big_record, big), runs=RUNS // 4)
    bare_ms = median_ms(bare_loop(predicates))

    result = evaluate(record, default)
    asked = evaluate(interview, default)
    print(
        f"sample catalog: {len(default.procedures)} procedures, {rules} rules; "
        f"household: {len(record.members)} members"
    )
    print(
        f"moving-in, facts answered: {result.totals.procedures} procedures, "
        f"{len(result.questions)} open questions"
    )
    print(
        f"death, facts unknown:      {asked.totals.procedures} procedures, "
        f"{len(asked.questions)} open questions"
    )
    print(f"median evaluate, sample catalog, answered:  {default_ms:.3f} ms  (target <= 1 ms)")
    print(f"median evaluate, sample catalog, interview: {interview_ms:.3f} ms")
    print(f"median bare loop, {predicates} trivial predicates: {bare_ms:.3f} ms")
    print(f"ratio sample catalog / bare loop:           {default_ms / bare_ms:.1f}x")
    print(f"ratio interview / bare loop:                {interview_ms / bare_ms:.1f}x")
    print(f"load + validate + compile 200-procedure catalog: {load_ms:.1f} ms (once per version)")
    print(f"median evaluate, 200 generated procedures:  {big_ms:.3f} ms")
    print("target met" if default_ms <= 1.0 else "TARGET MISSED")


if __name__ == "__main__":
    main()
