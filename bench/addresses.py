"""The 町字 search (one keystroke's query) and the consistency checks of one visit, with baselines
measured in the same run.

Usage: .venv/bin/python bench/addresses.py [--areas N] [--runs N]
Baselines: the search as it was (a plain substring test on name and kana, no normalisation)
over the same synthetic list; for the checks, validating the same record (VisitRecord).
Targets: search median <= 5 ms for 3,000 areas; checks median <= 5 ms for a 4-person 転入.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from backend.addresses.service import Area, AreaList, search_list
from backend.counter.consistency import check_record
from contracts import VisitRecord

KANJI_NUMBERS = "一二三四五六七八九"
STEMS = ("中央", "本町", "緑が丘", "港町", "桜台", "﨑山", "駅前", "旭", "栄", "若葉")
READINGS = ("チュウオウ", "ホンマチ", "ミドリガオカ", "ミナトマチ", "サクラダイ", "サキヤマ")
QUERIES = ("本", "本町", "本町1", "ほんまち", "本町一丁目", "本町１－２－３", "さきやま", "zz")


def synthetic_areas(count: int) -> AreaList:
    areas = []
    for n in range(count):
        stem = f"{STEMS[n % len(STEMS)]}{n // 90}"
        chome = KANJI_NUMBERS[n % 9]
        reading = f"{READINGS[n % len(READINGS)]}{n // 90}"
        areas.append(
            Area(id=f"{n:07d}", name=f"{stem}{chome}丁目", kana=f"{reading}{n % 9 + 1}チョウメ")
        )
    return AreaList(prefecture="窓口県", city="窓口デモ市", areas=areas)


def plain_search(areas: AreaList, query: str) -> list[Area]:
    q = query.strip()
    return [a for a in areas.areas if not q or q in a.name or q in a.kana][:50]


def moving_in_record() -> VisitRecord:
    kiyose = "東京都清瀬市観布子南１２－７－２０２"
    members = [
        {"name": name, "birth_date": f"{1980 + i * 8}-02-17", "sex": "1", "source": "card",
         "address": kiyose, "relationship": "世帯主" if i == 0 else "子"}
        for i, name in enumerate(("窓口　一郎", "窓口　二葉", "窓口　三葉", "窓口　四葉"))
    ]  # fmt: skip
    return VisitRecord.model_validate(
        {
            "tenant": {"code": "991007", "name": "窓口デモ市"},
            "event": "moving-in",
            "event_date": "2026-11-20",
            "filed_on": "2026-11-24",
            "previous_address": kiyose,
            "new_address": "窓口デモ市中央一丁目２番３号",
            "members": members,
            "certificates": [{"kind": "residence"}, {"kind": "tax", "fiscal_year": 2026}],
        }
    )


def median_ms(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--areas", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=51)
    args = parser.parse_args()
    areas = synthetic_areas(args.areas)
    areas.search_keys()  # built once per loaded list, as in the service

    def ours() -> None:
        for query in QUERIES:
            search_list(areas, query)

    def baseline() -> None:
        for query in QUERIES:
            plain_search(areas, query)

    ours_ms, base_ms = median_ms(ours, args.runs), median_ms(baseline, args.runs)
    per_query = ours_ms / len(QUERIES)
    print(f"町字 search, {args.areas} areas, {len(QUERIES)} queries, {args.runs} runs")
    print(f"  normalised search : median {per_query:6.2f} ms a query  (target <= 5)")
    print(f"  plain substring   : median {base_ms / len(QUERIES):6.2f} ms a query")
    print(f"  ratio             : {ours_ms / base_ms:6.2f}")

    record, today = moving_in_record(), dt.date(2026, 12, 3)
    dumped = record.model_dump(mode="json", by_alias=True)
    checks_ms = median_ms(lambda: check_record(record, today), args.runs)
    validate_ms = median_ms(lambda: VisitRecord.model_validate(dumped), args.runs)
    print(f"consistency checks, 4-person 転入, {len(check_record(record, today))} findings")
    print(f"  check_record      : median {checks_ms:6.2f} ms  (target <= 5)")
    print(f"  validate record   : median {validate_ms:6.2f} ms")
    print(f"  ratio             : {checks_ms / validate_ms:6.2f}")


if __name__ == "__main__":
    main()
