"""Differences between two catalogs in words a clerk reads ("児童手当の期限を 15日 → 14日").

Used by 共創 (an imported bundle, the three-way view), by the admin console's diff of a draft
against the active version, and by the audit of an activation or a roll-back.
"""

from __future__ import annotations

import json
from typing import Any, Final

from backend.guidance.catalog import Procedure, parse_catalog


def procedures_by_id(source: str) -> dict[str, Procedure]:
    return {p.id: p for p in parse_catalog(source, "catalog").spec.procedures}


FIELD_WORDS: Final[dict[str, str]] = {
    "name": "名称", "name_en": "英語の名称", "department": "担当課", "counter": "窓口",
    "events": "対象の届出",
    "rules": "案内する条件", "items": "持ち物", "fee_yen": "手数料",
    "fee_per_copy": "手数料の数え方",
    "deadline": "期限", "minutes": "所要時間", "forms": "帳票", "notes": "注意書き",
    "needs_individual_number": "個人番号の要否", "source": "出典",
}  # fmt: skip


def _value_words(field: str, value: Any) -> str:
    if value is None or value == [] or value == "":
        return "なし"
    if field == "deadline":
        return f"{value['days']}日"
    if field == "fee_yen":
        return f"{value:,}円"
    if field == "minutes":
        return f"{value}分"
    if isinstance(value, bool):
        return "要" if value else "不要"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "、".join(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)[:80]


def describe_change(before: Procedure | None, after: Procedure | None) -> list[str]:
    """E.g. ["児童手当の期限を 15日 → 14日"]; one line per field that differs."""
    if before is None and after is None:
        return []
    if before is None:
        assert after is not None
        return [f"{after.name}を追加"]
    if after is None:
        return [f"{before.name}を削除"]
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    lines = []
    for field, word in FIELD_WORDS.items():
        if old.get(field) != new.get(field):
            lines.append(
                f"{before.name}の{word}を {_value_words(field, old.get(field))} → "
                f"{_value_words(field, new.get(field))}"
            )
    return lines


def diff_in_words(base_source: str, target_source: str) -> list[str]:
    """Every procedure-level difference from ``base`` to ``target``, in words."""
    before, after = procedures_by_id(base_source), procedures_by_id(target_source)
    lines: list[str] = []
    for pid in dict.fromkeys([*before, *after]):
        if before.get(pid) != after.get(pid):
            lines.extend(describe_change(before.get(pid), after.get(pid)))
    return lines
