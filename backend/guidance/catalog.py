"""The procedure catalog: pydantic models, loading from YAML with line numbers, compilation.

A catalog is data each municipality edits (see docs/guidance.md). Loading validates the shape
with pydantic, then checks references (departments, counters, questions for every fact a
condition reads) and compiles every condition once, so that evaluating a visit only runs
closures. Every problem is reported with the file, the line and the field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from backend.guidance.conditions import (
    AGE_FACT,
    INSURANCE_KINDS,
    ConditionError,
    FactRef,
    HouseholdFn,
    MemberFn,
    Probe,
    compile_household_condition,
    compile_member_condition,
)
from backend.guidance.errors import CatalogInvalid, CatalogIssue
from backend.platform import safe_parse
from contracts import EVENTS, CounterRef
from contracts.visit import Event

DEFAULT_CATALOG_PATH = Path(__file__).parent / "catalogs" / "default.yaml"

FormName = Literal[
    "moving-notice", "residence-certificate-request", "tax-certificate-request", "checklist"
]
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=80)]
FactName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
Text = Annotated[str, StringConstraints(min_length=1)]

# Member fields of the record a question may set, with the question type each needs.
MEMBER_FIELD_TYPES: dict[str, str] = {
    AGE_FACT: "text",
    "relationship": "text",
    "nationality": "text",
    "insurance": "choice",
    "care_certified": "bool",
    "disability_certificate": "bool",
    "deceased": "bool",
    "concerned": "bool",
}
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


class CatalogModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CatalogInfo(CatalogModel):
    id: Identifier
    version: Text
    title: Text
    sample: bool = Field(default=False, description="a sample every municipality must review")
    note: str | None = None


class Department(CatalogModel):
    id: Identifier
    name: Text


class Counter(CatalogModel):
    id: Identifier
    name: Text
    department: Identifier | None = None
    floor: int = Field(description="floor number; basements are negative")
    floor_label: str | None = Field(default=None, description="as shown, e.g. 本館2階")
    number: str | None = Field(default=None, description="counter number as signed")
    order: int = Field(default=0, description="order on the route within the floor")

    @model_validator(mode="after")
    def _no_floor_zero(self) -> Counter:
        if self.floor == 0:
            raise ValueError("floor は 1 以上、地下は -1 以下です")
        return self


class LocalText(CatalogModel):
    ja: Text
    en: Text


class Question(CatalogModel):
    id: Identifier
    fact: FactName | None = Field(default=None, description="the fact it sets; default: id")
    scope: Literal["household", "member"] = "household"
    type: Literal["bool", "choice", "int", "text"] = "bool"
    text: LocalText
    choices: list[Text] = Field(default_factory=list)

    @property
    def fact_name(self) -> str:
        return self.fact or self.id

    @model_validator(mode="after")
    def _choices_match_type(self) -> Question:
        if self.type == "choice" and not self.choices:
            raise ValueError("type: choice には choices が必要です")
        if self.type != "choice" and self.choices:
            raise ValueError("choices は type: choice のときだけ指定できます")
        return self


class Rule(CatalogModel):
    reason: Text = Field(description="why, for the resident; {member} names the member")
    when: Any = Field(default=None, description="household condition")
    member: Any = Field(default=None, description="member condition; one reason per member")
    source: str | None = Field(
        default=None, description="where the rule comes from: a URL or a document and page"
    )
    valid_from: dt.date | None = Field(
        default=None, description="first event date the rule applies to (施行日)"
    )
    valid_until: dt.date | None = Field(
        default=None, description="last event date the rule applies to (廃止の前日)"
    )

    @model_validator(mode="after")
    def _dates_in_order(self) -> Rule:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError("valid_until は valid_from 以降の日付にしてください")
        return self


class Item(CatalogModel):
    text: Text
    when: Any = None


class Deadline(CatalogModel):
    days: int = Field(description="days after the event date (negative: before)")
    count_first_day: bool = Field(
        default=False, description="true when the event day is day 1 (戸籍法); false: 初日不算入"
    )
    from_fact: FactName | None = Field(
        default=None,
        description="count from this date fact when the visit has it (e.g. planned_move_out_date, "
        "the 転出予定日 on the 転出証明書), else from the event date",
    )

    @property
    def offset(self) -> dt.timedelta:
        return dt.timedelta(days=self.days - (1 if self.count_first_day else 0))

    def date_for(self, event_date: dt.date) -> dt.date:
        return event_date + self.offset


class Procedure(CatalogModel):
    id: Identifier
    name: Text
    name_en: str | None = Field(default=None, description="the name on screens in English")
    department: Identifier
    counter: Identifier
    events: list[Event] = Field(default_factory=list, description="empty: every event")
    rules: list[Rule] = Field(min_length=1)
    items: list[Item | Text] = Field(default_factory=list)
    fee_yen: int = Field(default=0, ge=0)
    fee_per_copy: Literal["residence", "tax", "seal"] | None = None
    deadline: Deadline | None = None
    minutes: int = Field(default=0, ge=0)
    forms: list[FormName] = Field(default_factory=list)
    notes: list[Text] = Field(default_factory=list)
    needs_individual_number: bool = False
    source: str | None = Field(
        default=None, description="where the rule, fee and deadline come from: URL or document"
    )


class Catalog(CatalogModel):
    catalog: CatalogInfo
    departments: list[Department] = Field(min_length=1)
    counters: list[Counter] = Field(min_length=1)
    questions: list[Question] = Field(default_factory=list)
    procedures: list[Procedure] = Field(min_length=1)


# --- compiled form ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompiledRule:
    reason: str
    when: HouseholdFn | None
    member: MemberFn | None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    # the facts each condition reads: a tried answer to another fact cannot change its outcome
    when_reads: frozenset[str] = frozenset()
    member_reads: frozenset[str] = frozenset()

    def in_force(self, day: dt.date | None) -> bool:
        if day is None:
            return True
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


@dataclass(frozen=True, slots=True)
class CompiledItem:
    text: str
    when: HouseholdFn | None


@dataclass(frozen=True, slots=True)
class CompiledProcedure:
    position: int
    spec: Procedure
    department_name: str
    counter: CounterRef
    route_key: tuple[int, int, int, int]
    rules: tuple[CompiledRule, ...]
    items: tuple[CompiledItem, ...]

    static_fields: dict[str, Any]
    deadline_offset: dt.timedelta | None
    deadline_from_fact: str | None = None


@dataclass(slots=True)
class CompiledCatalog:
    """A validated catalog with its conditions compiled, ready for evaluation."""

    spec: Catalog
    digest: str
    procedures: tuple[CompiledProcedure, ...]
    by_event: dict[str, tuple[CompiledProcedure, ...]]
    questions: dict[tuple[str, str], tuple[int, Question]]
    member_facts: frozenset[str] = field(default_factory=frozenset)
    # values worth trying per (scope, fact) to tell whether a question could change anything
    probes: dict[tuple[str, str], tuple[Probe, ...]] = field(default_factory=dict)

    @property
    def version_label(self) -> str:
        return f"{self.spec.catalog.id}@{self.spec.catalog.version}"


# --- YAML with line numbers ---------------------------------------------------------------

Path_ = tuple[str | int, ...]
# libyaml when present (parses the file once, keeping node marks for line numbers).
_LOADER: Any = safe_parse.YAML_LOADER


def _line_map(
    node: yaml.Node, path: Path_, lines: dict[Path_, int], issues: list[CatalogIssue]
) -> None:
    """Record the line of every value, keyed by its path; report duplicate keys."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            if key in seen:
                issues.append(
                    CatalogIssue(
                        format_path(child), "同じキーが二度あります", key_node.start_mark.line + 1
                    )
                )
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _line_map(value_node, child, lines, issues)
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            _line_map(item, (*path, position), lines, issues)


def format_path(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _locate(loc: Path_, lines: dict[Path_, int]) -> tuple[Path_, int | None]:
    """Map a pydantic error location to a data path and its line.

    Pydantic adds union tags (``str``, ``Item``, ``function-after[...]``) to locations; those
    are skipped because they are not keys of the document.
    """
    path: Path_ = ()
    for part in loc:
        candidate = (*path, part)
        if candidate in lines:
            path = candidate
    return path, lines.get(path, lines.get(()))


def _read_yaml(text: str, source: str) -> tuple[Any, dict[Path_, int], list[CatalogIssue]]:
    safe_parse.check_yaml(text)  # size, depth and aliases, before any node is built
    issues: list[CatalogIssue] = []
    try:
        loader = _LOADER(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise CatalogInvalid(
            source, [CatalogIssue("", f"YAML として読めません: {exc.problem or exc}", line)]
        ) from exc
    except yaml.YAMLError as exc:
        raise CatalogInvalid(source, [CatalogIssue("", f"YAML として読めません: {exc}")]) from exc
    lines: dict[Path_, int] = {}
    if node is not None:
        _line_map(node, (), lines, issues)
    return data, lines, issues


# --- loading ------------------------------------------------------------------------------


def load_catalog(path: Path | str) -> CompiledCatalog:
    source = str(path)
    try:
        text = safe_parse.read_text(Path(path))
    except FileNotFoundError as exc:
        raise CatalogInvalid(
            source, [CatalogIssue("", "ファイルがありません (file not found)")]
        ) from exc
    return parse_catalog(text, source)


def parse_catalog(text: str, source: str = "<catalog>") -> CompiledCatalog:
    """Validate and compile a catalog; raise CatalogInvalid listing every problem with its line.

    A document over the parse limits raises ``DocumentTooComplex`` (422) before it is read.
    """
    data, lines, issues = _read_yaml(text, source)
    if not isinstance(data, dict):
        raise CatalogInvalid(
            source, [*issues, CatalogIssue("", "カタログは対応表（mapping）で書いてください", 1)]
        )
    try:
        spec = Catalog.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            path, line = _locate(tuple(error["loc"]), lines)
            message = error["msg"].removeprefix("Value error, ")
            issues.append(CatalogIssue(format_path(path), message, line))
        raise CatalogInvalid(source, issues) from exc
    compiled, problems = _compile(spec, text)
    issues += [
        CatalogIssue(format_path(path), message, _locate(path, lines)[1])
        for path, message in problems
    ]
    if issues:
        raise CatalogInvalid(source, sorted(issues, key=lambda i: (i.line or 0, i.field)))
    return compiled


def load_default_catalog() -> CompiledCatalog:
    return load_catalog(DEFAULT_CATALOG_PATH)


# --- cross-checks and compilation ---------------------------------------------------------

Problem = tuple[Path_, str]


def _unique(items: list[Any], section: str, problems: list[Problem]) -> None:
    seen: set[str] = set()
    for position, item in enumerate(items):
        if item.id in seen:
            problems.append(((section, position, "id"), f"id {item.id!r} が重複しています"))
        seen.add(item.id)


def _check_questions(
    spec: Catalog, problems: list[Problem]
) -> dict[tuple[str, str], tuple[int, Question]]:
    by_fact: dict[tuple[str, str], tuple[int, Question]] = {}
    for position, question in enumerate(spec.questions):
        key = (question.scope, question.fact_name)
        if key in by_fact:
            problems.append(
                (
                    (("questions", position, "fact")),
                    f"事実 {question.fact_name!r} を設定する質問が重複しています",
                )
            )
            continue
        by_fact[key] = (position, question)
        if question.scope == "member" and question.fact_name in MEMBER_FIELD_TYPES:
            wanted = MEMBER_FIELD_TYPES[question.fact_name]
            if question.type != wanted:
                problems.append(
                    (
                        ("questions", position, "type"),
                        f"{question.fact_name} の質問は type: {wanted} です",
                    )
                )
            if question.fact_name == "insurance" and set(question.choices) - set(INSURANCE_KINDS):
                problems.append(
                    (
                        ("questions", position, "choices"),
                        f"insurance の選択肢は {', '.join(INSURANCE_KINDS)} です",
                    )
                )
    return by_fact


def _check_reason(rule: Rule, path: Path_, problems: list[Problem]) -> None:
    for placeholder in PLACEHOLDER.findall(rule.reason):
        if placeholder != "{member}":
            problems.append(
                ((*path, "reason"), f"{placeholder} は使えません（使えるのは {{member}} だけです）")
            )
        elif rule.member is None:
            problems.append(((*path, "reason"), "{member} は member 条件のある規則でだけ使えます"))


class _Compiler:
    def __init__(
        self, spec: Catalog, questions: dict[tuple[str, str], tuple[int, Question]]
    ) -> None:
        self.spec = spec
        self.questions = questions
        self.problems: list[Problem] = []
        self.member_facts: set[str] = set()
        self.probes: dict[tuple[str, str], set[Probe]] = {}

    def condition(self, node: Any, path: Path_, *, member: bool) -> Any:
        return self.condition_reading(node, path, member=member)[0]

    def condition_reading(
        self, node: Any, path: Path_, *, member: bool
    ) -> tuple[Any, frozenset[str]]:
        """The compiled condition and the names of the facts it reads (either scope)."""
        if node is None:
            return None, frozenset()
        try:
            compiled = (
                compile_member_condition(node) if member else compile_household_condition(node)
            )
        except ConditionError as exc:
            self.problems.append(((*path, *exc.path), exc.message))
            return None, frozenset()
        for fact in sorted(compiled.facts, key=lambda f: (f.member, f.name)):
            self._check_fact(fact, path)
        for fact, values in compiled.probes.items():
            scope = "member" if fact.member else "household"
            self.probes.setdefault((scope, fact.name), set()).update(values)
        return compiled.fn, frozenset(fact.name for fact in compiled.facts)

    def answer_values(self) -> dict[tuple[str, str], tuple[Probe, ...]]:
        """Per fact, the answers to try: a question's choices, else what conditions compare."""
        result: dict[tuple[str, str], tuple[Probe, ...]] = {}
        for key, values in self.probes.items():
            found = self.questions.get(key)
            question = found[1] if found else None
            if question is not None and question.type == "bool":
                result[key] = (True, False)
            elif question is not None and question.type == "choice":
                result[key] = tuple(question.choices)
            else:
                result[key] = tuple(sorted(values, key=repr))
        return result

    def _check_fact(self, fact: FactRef, path: Path_) -> None:
        scope = "member" if fact.member else "household"
        if fact.member:
            self.member_facts.add(fact.name)
        if (scope, fact.name) not in self.questions:
            self.problems.append(
                (
                    path,
                    f"事実 {fact.name!r} を尋ねる質問がありません"
                    f"（questions に scope: {scope}, fact: {fact.name} を追加してください）",
                )
            )


def _compile(spec: Catalog, text: str) -> tuple[CompiledCatalog, list[Problem]]:
    problems: list[Problem] = []
    for section in ("departments", "counters", "questions", "procedures"):
        _unique(getattr(spec, section), section, problems)
    questions = _check_questions(spec, problems)
    departments = {department.id: department for department in spec.departments}
    counters = {counter.id: (position, counter) for position, counter in enumerate(spec.counters)}
    for position, counter in enumerate(spec.counters):
        if counter.department is not None and counter.department not in departments:
            problems.append(
                (("counters", position, "department"), f"部署 {counter.department!r} がありません")
            )
    compiler = _Compiler(spec, questions)
    procedures = []
    for position, procedure in enumerate(spec.procedures):
        path: Path_ = ("procedures", position)
        if procedure.department not in departments:
            problems.append(((*path, "department"), f"部署 {procedure.department!r} がありません"))
        if procedure.counter not in counters:
            problems.append(((*path, "counter"), f"窓口 {procedure.counter!r} がありません"))
            continue
        procedures.append(
            _compile_procedure(procedure, position, departments, counters, compiler, problems)
        )
    problems += compiler.problems
    by_event = {
        event: tuple(p for p in procedures if not p.spec.events or event in p.spec.events)
        for event in EVENTS
    }
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return (
        CompiledCatalog(
            spec,
            digest,
            tuple(procedures),
            by_event,
            questions,
            frozenset(compiler.member_facts),
            compiler.answer_values(),
        ),
        problems,
    )


def _compile_procedure(
    procedure: Procedure,
    position: int,
    departments: dict[str, Department],
    counters: dict[str, tuple[int, Counter]],
    compiler: _Compiler,
    problems: list[Problem],
) -> CompiledProcedure:
    path: Path_ = ("procedures", position)
    rules = []
    for rule_position, rule in enumerate(procedure.rules):
        rule_path = (*path, "rules", rule_position)
        _check_reason(rule, rule_path, problems)
        when, when_reads = compiler.condition_reading(rule.when, (*rule_path, "when"), member=False)
        member, member_reads = compiler.condition_reading(
            rule.member, (*rule_path, "member"), member=True
        )
        rules.append(
            CompiledRule(
                reason=rule.reason,
                when=when,
                member=member,
                valid_from=rule.valid_from,
                valid_until=rule.valid_until,
                when_reads=when_reads,
                member_reads=member_reads,
            )
        )
    items = []
    for item_position, item in enumerate(procedure.items):
        if isinstance(item, str):
            items.append(CompiledItem(item, None))
        else:
            when = compiler.condition(
                item.when, (*path, "items", item_position, "when"), member=False
            )
            items.append(CompiledItem(item.text, when))
    counter_position, counter = counters[procedure.counter]
    department = departments.get(procedure.department)
    counter_ref = CounterRef(
        id=counter.id,
        name=counter.name,
        floor=_floor_label(counter),
        number=counter.number,
        order=counter.order,
    )
    return CompiledProcedure(
        position=position,
        spec=procedure,
        department_name=department.name if department else procedure.department,
        counter=counter_ref,
        static_fields={
            "id": procedure.id,
            "name": procedure.name,
            "department": department.name if department else procedure.department,
            # the frozen model itself: pydantic takes an instance as it is, no revalidation
            "counter": counter_ref,
            "minutes": procedure.minutes,
            "forms": list(procedure.forms),
            "notes": list(procedure.notes),
            "needs_individual_number": procedure.needs_individual_number,
        },
        deadline_offset=procedure.deadline.offset if procedure.deadline else None,
        deadline_from_fact=procedure.deadline.from_fact if procedure.deadline else None,
        route_key=(counter.floor, counter.order, counter_position, position),
        rules=tuple(rules),
        items=tuple(items),
    )


def _floor_label(counter: Counter) -> str:
    if counter.floor_label:
        return counter.floor_label
    return f"{counter.floor}階" if counter.floor > 0 else f"地下{-counter.floor}階"
