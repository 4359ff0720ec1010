"""Answers to the interview questions, applied to a visit record as facts.

Keys (the ``id`` of each open question is such a key):

- ``FACT=VALUE`` sets a household fact, e.g. ``has_dog=true``, ``prefecture_changed=false``.
- ``members.N.FIELD=VALUE`` sets a member's record field when FIELD is one
  (``insurance``, ``care_certified``, ``disability_certificate``, ``deceased``, ``birth_date``,
  ``relationship``, ``nationality``…); N counts from 0 in the order of ``members``.
- ``members.N.FACT=VALUE`` for any other FACT sets a per-member fact, kept in the visit's
  ``facts`` under that same key (e.g. ``members.1.name_changes=true``).

Values are read with the type of the catalog question that sets the fact (bool: true/false,
yes/no, はい/いいえ, 1/0; int; choice: one of the choices); without a question, ``true`` and
``false`` are booleans, whole numbers are integers and anything else is text.

``わからない`` (or 分からない, 不明, unknown) records the question in ``VisitRecord.unresolved``
instead: it is no longer asked, and what it might make needed is listed as 要確認.

A key with the member prefix twice (``members.0.members.0.nationality``, as a screen that
prefixes a question id that already names the member sends it) is read once
(``members.0.nationality``); naming two different members is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from backend.guidance.catalog import CompiledCatalog, Question
from backend.guidance.errors import InvalidAnswer
from contracts import Member, Unresolved, VisitRecord

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "はい", "有", "あり"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "いいえ", "無", "なし"})
UNKNOWN_WORDS = frozenset({"わからない", "分からない", "不明", "unknown"})
MEMBER_RECORD_FIELDS = frozenset(Member.model_fields) - {"name", "source"}

Answer = bool | int | str


def parse_answer_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """``["has_dog=true", ...]`` → ``{"has_dog": "true"}``; the last answer for a key wins."""
    answers: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidAnswer(f"回答は KEY=VALUE の形で指定してください: {pair!r}")
        answers[key.strip()] = value.strip()
    return answers


def normalise_key(key: str) -> str:
    """``members.0.members.0.x`` → ``members.0.x``; ValueError when the two indices differ."""
    parts = key.strip().split(".")
    while len(parts) >= 5 and parts[0] == parts[2] == "members":
        if parts[1] != parts[3]:
            raise ValueError(f"two members in one answer key: {key!r}")
        parts = parts[2:]
    return ".".join(parts)


def _normalised(key: str) -> str:
    try:
        return normalise_key(key)
    except ValueError as exc:
        raise InvalidAnswer(
            f"回答のキーに二人の世帯員が含まれています（members.番号.項目 の形です）: {key!r}"
        ) from exc


def _is_unknown(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() in UNKNOWN_WORDS


def _convert(value: Any, question: Question | None, key: str) -> Answer:
    if not isinstance(value, str):
        if isinstance(value, bool | int):
            return _check_typed(value, question, key)
        raise InvalidAnswer(f"{key} の回答は文字列・数値・真偽値で指定してください")
    text = value.strip()
    kind = question.type if question else None
    if kind == "bool" or (kind is None and text.lower() in ("true", "false")):
        lowered = text.lower()
        if lowered in TRUE_WORDS:
            return True
        if lowered in FALSE_WORDS:
            return False
        raise InvalidAnswer(f"{key} は「はい」か「いいえ」（true/false）で答えてください")
    if kind == "int" or (kind is None and text.lstrip("-").isdigit()):
        try:
            return int(text)
        except ValueError as exc:
            raise InvalidAnswer(f"{key} は整数で答えてください") from exc
    if kind == "choice" and question is not None and text not in question.choices:
        raise InvalidAnswer(f"{key} は次のどれかで答えてください: {', '.join(question.choices)}")
    if not text:
        raise InvalidAnswer(f"{key} の回答が空です")
    return text


def _check_typed(value: bool | int, question: Question | None, key: str) -> Answer:
    kind = question.type if question else None
    if kind == "bool" and not isinstance(value, bool):
        raise InvalidAnswer(f"{key} は「はい」か「いいえ」（true/false）で答えてください")
    if kind == "int" and isinstance(value, bool):
        raise InvalidAnswer(f"{key} は整数で答えてください")
    if kind in ("choice", "text"):
        return _convert(
            str(value).lower() if isinstance(value, bool) else str(value), question, key
        )
    return value


def apply_answers(
    visit: VisitRecord, answers: Mapping[str, Any], catalog: CompiledCatalog
) -> VisitRecord:
    """A copy of ``visit`` with the answers set; the original is left as it was."""
    if not answers:
        return visit
    facts = dict(visit.facts)
    members = list(visit.members)
    unresolved = {item.question: item for item in visit.unresolved}
    for raw_key, value in sorted(answers.items()):
        key = _normalised(raw_key)
        unresolved.pop(key, None)  # an answer replaces an earlier わからない
        if _is_unknown(value):
            unresolved[key] = Unresolved(question=key)
        elif key.startswith("members."):
            _apply_member_answer(key, value, members, facts, catalog)
        else:
            question = _question(catalog, "household", key)
            facts[key] = _convert(value, question, key)
    return visit.model_copy(
        update={"facts": facts, "members": members, "unresolved": list(unresolved.values())}
    )


def _question(catalog: CompiledCatalog, scope: str, fact: str) -> Question | None:
    found = catalog.questions.get((scope, fact))
    return found[1] if found else None


def _apply_member_answer(
    key: str,
    value: Any,
    members: list[Member],
    facts: dict[str, bool | int | str | None],
    catalog: CompiledCatalog,
) -> None:
    parts = key.split(".")
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2]:
        raise InvalidAnswer(f"世帯員の回答は members.番号.項目 の形です（番号は 0 から）: {key!r}")
    index, fact = int(parts[1]), parts[2]
    if index >= len(members):
        raise InvalidAnswer(f"{key}: 世帯員 {index} はいません（0〜{len(members) - 1}）")
    converted = _convert(value, _question(catalog, "member", fact), key)
    if fact not in MEMBER_RECORD_FIELDS:
        facts[key] = converted
        return
    current = members[index]
    try:
        members[index] = Member.model_validate({**current.model_dump(), fact: converted})
    except ValidationError as exc:
        message = exc.errors()[0]["msg"]
        raise InvalidAnswer(f"{key} の回答が正しくありません: {message}") from exc
