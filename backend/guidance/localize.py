"""The guidance result in the resident's language, beside the Japanese.

``localize(result, lang, catalog)`` returns a copy of a ``GuidanceResult`` whose procedures carry
``local`` (name, department, counter, floor, reasons, items and notes in ``lang``) and whose
questions carry ``text[lang]`` and ``choice_text``; every Japanese field stays as it was, so the
clerk and the resident look at the same line. Texts come from ``backend.guidance.translations``
(a text the translation lacks falls back to English, then Japanese).

Reasons and question texts reach the result already filled in (``{member}`` replaced by the
member's label, e.g. 「世帯主（45歳）」): the catalog's template is matched back against the
text to find the label, and the label itself is put into the language (relationship and age).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from backend.guidance.catalog import CompiledCatalog, Counter, Procedure, Question
from backend.guidance.engine import UNRESOLVED_NOTE
from backend.guidance.translations import RESIDENT_LANGUAGES, TextKind, translate
from contracts import GuidanceResult, LocalProcedure, ProcedureResult
from contracts.guidance import QuestionResult

MEMBER = "{member}"
# The relationships the screens offer (backend.schemas_api.lists.RELATIONSHIPS).
RELATIONSHIP_TEXT: dict[str, dict[str, str]] = {
    "世帯主": {
        "en": "head of household",
        "zh": "户主",
        "ko": "세대주",
        "vi": "chủ hộ",
        "pt": "chefe da família",
    },
    "妻": {"en": "wife", "zh": "妻子", "ko": "아내", "vi": "vợ", "pt": "esposa"},
    "夫": {"en": "husband", "zh": "丈夫", "ko": "남편", "vi": "chồng", "pt": "marido"},
    "子": {"en": "child", "zh": "子女", "ko": "자녀", "vi": "con", "pt": "filho(a)"},
    "父": {"en": "father", "zh": "父亲", "ko": "아버지", "vi": "cha", "pt": "pai"},
    "母": {"en": "mother", "zh": "母亲", "ko": "어머니", "vi": "mẹ", "pt": "mãe"},
    "同居人": {
        "en": "cohabitant",
        "zh": "同住人",
        "ko": "동거인",
        "vi": "người ở cùng",
        "pt": "morador(a)",
    },
}
AGE = {"en": "{who} ({age})", "zh": "{who}（{age}岁）", "ko": "{who}({age}세)"}
AGE |= {"vi": "{who} ({age} tuổi)", "pt": "{who} ({age} anos)"}
FLOOR = {"en": "{n}F", "zh": "{n}楼", "ko": "{n}층", "vi": "Tầng {n}", "pt": "{n}º andar"}
BASEMENT = {"en": "B{n}", "zh": "地下{n}楼", "ko": "지하 {n}층", "vi": "Tầng hầm {n}"}
BASEMENT |= {"pt": "Subsolo {n}"}
UNRESOLVED = {
    "en": "To be checked (not known): ",
    "zh": "待确认（不清楚）: ",
    "ko": "확인 필요(모름): ",
    "vi": "Cần xác nhận (chưa rõ): ",
    "pt": "A confirmar (não se sabe): ",
}
CAPITALIZED = frozenset({"en", "vi", "pt"})
_LABEL = re.compile(r"^(?P<who>.+)（(?P<age>\d+)歳）$")


def is_resident_language(lang: str | None) -> bool:
    """A language the resident may read the catalog in, other than Japanese."""
    return lang is not None and lang in RESIDENT_LANGUAGES and lang != "ja"


def member_label(label: str, lang: str) -> str:
    """「世帯主（45歳）」 as "head of household (45)"; a name stays as it is."""
    found = _LABEL.match(label)
    who, age = (found["who"], found["age"]) if found else (label, None)
    who = RELATIONSHIP_TEXT.get(who, {}).get(lang, who)
    return AGE[lang].format(who=who, age=age) if age is not None else who


def sentence(text: str, lang: str) -> str:
    """A text that begins with a member's label begins with a capital in Latin scripts."""
    return text[:1].upper() + text[1:] if lang in CAPITALIZED else text


def floor_text(floor: int, lang: str) -> str:
    return (FLOOR if floor > 0 else BASEMENT)[lang].format(n=abs(floor))


@dataclass(frozen=True)
class _Template:
    kind: TextKind
    key: str
    japanese: str
    default: str
    pattern: re.Pattern[str] | None  # None: no {member}, matched by equality

    def fill(self, text: str, lang: str) -> str | None:
        """The local text of ``text`` if it is this template filled in, else None."""
        if self.pattern is None:
            if text != self.japanese:
                return None
            return translate(lang, self.kind, self.key, self.default)
        found = self.pattern.match(text)
        if found is None:
            return None
        local = translate(lang, self.kind, self.key, self.default)
        return sentence(local.replace(MEMBER, member_label(found["member"], lang)), lang)


def _template(kind: TextKind, key: str, japanese: str, default: str | None = None) -> _Template:
    pattern = None
    if MEMBER in japanese:
        first, *rest = (re.escape(part) for part in japanese.split(MEMBER))
        pattern = re.compile(f"^{first}(?P<member>.+?)" + "(?P=member)".join(rest) + "$")
    return _Template(kind, key, japanese, default or japanese, pattern)


@dataclass(frozen=True)
class _Index:
    procedures: dict[str, Procedure]
    counters: dict[str, Counter]
    departments: dict[str, str]  # name → id
    reasons: dict[str, tuple[_Template, ...]]  # procedure id → its rules' reasons
    questions: dict[str, _Template]  # question id → its text


_indexes: dict[str, _Index] = {}


def _index(catalog: CompiledCatalog) -> _Index:
    """The catalog's ids and templates, once per catalog content (keyed by its digest)."""
    found = _indexes.get(catalog.digest)
    if found is not None:
        return found
    spec = catalog.spec
    index = _Index(
        procedures={p.id: p for p in spec.procedures},
        counters={c.id: c for c in spec.counters},
        departments={d.name: d.id for d in spec.departments},
        reasons={
            p.id: tuple(_template("reason", r.reason, r.reason) for r in p.rules)
            for p in spec.procedures
        },
        questions={q.id: _template("question", q.id, q.text.ja, q.text.en) for q in spec.questions},
    )
    if len(_indexes) >= 8:  # a few catalog versions at most are active across tenants
        _indexes.clear()
    _indexes[catalog.digest] = index
    return index


def _first(templates: tuple[_Template, ...], text: str, lang: str) -> str | None:
    for template in templates:
        local = template.fill(text, lang)
        if local is not None:
            return local
    return None


def _reason(index: _Index, procedure_id: str, text: str, lang: str) -> str:
    return _first(index.reasons.get(procedure_id, ()), text, lang) or translate(
        lang, "reason", text, text
    )


def _note(index: _Index, text: str, lang: str) -> str:
    if text.startswith(UNRESOLVED_NOTE):
        question = text.removeprefix(UNRESOLVED_NOTE)
        local = _first(tuple(index.questions.values()), question, lang)
        return UNRESOLVED[lang] + (local or question)
    return translate(lang, "note", text, text)


def local_procedure(
    procedure: ProcedureResult, lang: str, catalog: CompiledCatalog
) -> LocalProcedure:
    index = _index(catalog)
    spec = index.procedures.get(procedure.id)
    name = translate(lang, "procedure", procedure.id, procedure.name)
    if lang == "en" and spec is not None and spec.name_en:
        name = spec.name_en  # the municipality's own English wins over the shipped one
    department_id = spec.department if spec else index.departments.get(procedure.department)
    counter = index.counters.get(procedure.counter.id)
    return LocalProcedure(
        name=name,
        department=translate(
            lang, "department", department_id or procedure.department, procedure.department
        ),
        counter=translate(lang, "counter", procedure.counter.id, procedure.counter.name),
        floor=floor_text(counter.floor, lang) if counter else procedure.counter.floor,
        reasons=[_reason(index, procedure.id, r, lang) for r in procedure.reasons],
        items=[translate(lang, "item", item, item) for item in procedure.items],
        notes=[_note(index, note, lang) for note in procedure.notes],
    )


def _question(
    question: QuestionResult, lang: str, catalog: CompiledCatalog, index: _Index
) -> QuestionResult:
    scope = "household" if question.member is None else "member"
    found = catalog.questions.get((scope, question.id.rsplit(".", 1)[-1]))
    spec: Question | None = found[1] if found else None
    japanese = question.text.get("ja", "")
    template = index.questions.get(spec.id) if spec else None
    local = template.fill(japanese, lang) if template else None
    choice_text = {
        choice: translate(lang, "choice", f"{spec.id}.{choice}" if spec else choice, choice)
        for choice in question.choices
    }
    return question.model_copy(
        update={
            "text": {**question.text, lang: local or question.text.get("en", japanese)},
            "choice_text": choice_text,
        }
    )


def localize(result: GuidanceResult, lang: str | None, catalog: CompiledCatalog) -> GuidanceResult:
    """``result`` with the resident's texts beside the Japanese; unchanged for ja or none."""
    if lang is None or not is_resident_language(lang):
        return result
    index = _index(catalog)
    return result.model_copy(
        update={
            "lang": lang,
            "procedures": [
                p.model_copy(update={"local": local_procedure(p, lang, catalog)})
                for p in result.procedures
            ],
            "questions": [_question(q, lang, catalog, index) for q in result.questions],
        }
    )
