"""The admin console edits a catalog one procedure at a time, in a draft version.

A draft is a version that was never activated: it may be changed in place. A version that has
been active stays as it was (it is what guidance used), so editing it starts a new draft.

Saving a procedure validates it with the catalog's own models (``Procedure``, then the whole
catalog for references such as counters and the facts a condition reads) and answers with one
error per form field. The procedure's block in the YAML text is replaced on its own, so the
comments of the rest of the file are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session

from backend.guidance import service, wording
from backend.guidance.catalog import Procedure, parse_catalog
from backend.guidance.errors import CatalogInvalid
from backend.guidance.models import CatalogVersion
from backend.platform import safe_parse
from backend.platform.audit.service import record
from backend.platform.errors import Conflict, ValidationFailed


class ProcedureInvalid(ValidationFailed):
    code = "procedure_invalid"
    default_message = "入力内容に誤りがあります。各欄の説明を確認してください。"


@dataclass(frozen=True)
class FieldError:
    loc: tuple[str | int, ...]
    message: str

    def as_json(self) -> dict[str, Any]:
        return {
            "loc": list(self.loc),
            "field": ".".join(str(p) for p in self.loc),
            "message": self.message,
        }


# Pydantic's messages are English; the clerk reads Japanese.
_MESSAGES: Final[dict[str, str]] = {
    "missing": "入力してください",
    "string_too_short": "入力してください",
    "too_short": "一つ以上入力してください",
    "int_parsing": "整数（半角数字）で入力してください",
    "int_type": "整数（半角数字）で入力してください",
    "int_from_float": "整数（半角数字）で入力してください",
    "greater_than_equal": "0 以上の数で入力してください",
    "string_pattern_mismatch": "英小文字・数字・ハイフン・下線で入力してください",
    "literal_error": "選択肢の中から選んでください",
    "bool_parsing": "はい・いいえで選んでください",
    "date_from_datetime_parsing": "日付（例 2026-04-01）で入力してください",
    "date_parsing": "日付（例 2026-04-01）で入力してください",
    "extra_forbidden": "この項目は使えません",
}

# Condition fields arrive as text (YAML flow style, e.g. ``{fact: from_abroad}``).
_CONDITION_KEYS: Final = ("when", "member")


def _message(error: Any) -> str:
    """In Japanese where we know the error; else pydantic's own words (or the catalog's own
    Japanese message from a validator)."""
    return _MESSAGES.get(error["type"]) or error["msg"].removeprefix("Value error, ")


def _form_loc(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """Pydantic adds union tags (``str``, ``Item``) to locations; the form has no such field."""
    return tuple(part for part in loc if isinstance(part, int) or (part and part[0].islower()))


def _parse_condition(text: Any, loc: tuple[str | int, ...], errors: list[FieldError]) -> Any:
    if not isinstance(text, str):
        return text
    if not text.strip():
        return None
    try:
        return safe_parse.load_yaml(text)
    except (yaml.YAMLError, ValueError, safe_parse.DocumentTooComplex) as exc:
        errors.append(FieldError(loc, f"条件式として読めません: {exc}"[:300]))
        return None


def _with_conditions(form: dict[str, Any], errors: list[FieldError]) -> dict[str, Any]:
    """The form's condition texts read as YAML, so the catalog models see structures."""
    data = dict(form)
    rules = []
    for position, rule in enumerate(data.get("rules") or []):
        if isinstance(rule, dict):
            rule = dict(rule)
            for key in _CONDITION_KEYS:
                if key in rule:
                    rule[key] = _parse_condition(rule[key], ("rules", position, key), errors)
            rule = {k: v for k, v in rule.items() if v not in (None, "")}
        rules.append(rule)
    if "rules" in data:
        data["rules"] = rules
    items = []
    for position, item in enumerate(data.get("items") or []):
        if isinstance(item, dict):
            loc = ("items", position, "when")
            item = dict(item, when=_parse_condition(item.get("when"), loc, errors))
            if item["when"] is None:  # an item for every household is plain text
                item = item.get("text")
        items.append(item)
    if "items" in data:
        data["items"] = items
    return data


def validate_procedure(procedure_id: str, form: dict[str, Any]) -> Procedure:
    """The form as a catalog ``Procedure``; ProcedureInvalid with one error per field."""
    errors: list[FieldError] = []
    data = _with_conditions({**form, "id": procedure_id}, errors)
    data = {k: v for k, v in data.items() if v is not None}
    try:
        procedure = Procedure.model_validate(data)
    except ValidationError as exc:
        errors += [FieldError(_form_loc(tuple(e["loc"])), _message(e)) for e in exc.errors()]
        raise ProcedureInvalid(fields=[e.as_json() for e in errors]) from exc
    if errors:
        raise ProcedureInvalid(fields=[e.as_json() for e in errors])
    return procedure


def _condition_text(value: Any) -> str:
    if value is None:
        return ""
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000).strip()


def form_of(procedure: Procedure) -> dict[str, Any]:
    """A procedure as the edit form holds it: every condition as one line of text."""
    data = procedure.model_dump(mode="json")
    for rule in data["rules"]:
        for key in _CONDITION_KEYS:
            rule[key] = _condition_text(rule[key])
    data["items"] = [
        {"text": item, "when": ""}
        if isinstance(item, str)
        else {"text": item["text"], "when": _condition_text(item["when"])}
        for item in data["items"]
    ]
    return data


# --- the YAML text ---------------------------------------------------------------------------


def _procedure_nodes(source: str) -> list[yaml.Node]:
    loader = safe_parse.YAML_LOADER(source)
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    for key, value in root.value:
        if key.value == "procedures":
            return list(value.value)
    return []


def _block_end(source: str, start: int, end: int) -> int:
    """Where a procedure's own text ends: blank and comment lines before the next item belong
    to the next item."""
    lines = source[start:end].splitlines(keepends=True)
    while len(lines) > 1 and (not lines[-1].strip() or lines[-1].lstrip().startswith("#")):
        lines.pop()
    return start + len("".join(lines).rstrip("\n"))


class _CatalogDumper(yaml.SafeDumper):
    """The catalog's own layout: indented lists, short lists and mappings on one line."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _is_leaf(value: Any) -> bool:
    values = value.values() if isinstance(value, dict) else value
    return all(not isinstance(v, (dict, list)) for v in values)


def _represent_dict(dumper: yaml.SafeDumper, value: dict[str, Any]) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=_is_leaf(value))


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    short = _is_leaf(value) and sum(len(str(v)) for v in value) < 60
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=short)


_CatalogDumper.add_representer(dict, _represent_dict)
_CatalogDumper.add_representer(list, _represent_list)


def _as_yaml(procedure: Procedure, indent: int) -> str:
    data = procedure.model_dump(mode="json", exclude_defaults=True)
    text = yaml.dump(
        data, Dumper=_CatalogDumper, allow_unicode=True, sort_keys=False, width=100
    ).rstrip("\n")
    return text.replace("\n", "\n" + " " * indent)


def put_procedure(source: str, procedure: Procedure) -> tuple[str, int]:
    """The catalog text with ``procedure`` replacing the one of the same id (or appended),
    and the procedure's position in the list."""
    nodes = _procedure_nodes(source)
    for position, node in enumerate(nodes):
        ids = [v.value for k, v in node.value if k.value == "id"]
        if ids == [procedure.id]:
            start = node.start_mark.index
            end = _block_end(source, start, node.end_mark.index)
            text = _as_yaml(procedure, node.start_mark.column)
            return source[:start] + text + source[end:], position
    indent = nodes[-1].start_mark.column if nodes else 4
    text = _as_yaml(procedure, indent)
    dash = " " * (indent - 2) + "- "
    return source.rstrip("\n") + "\n\n" + dash + text + "\n", len(nodes)


def _catalog_errors(exc: CatalogInvalid, position: int) -> list[FieldError]:
    """The catalog's issues about this procedure, as form fields; other issues as a whole."""
    prefix = f"procedures[{position}]"
    errors = []
    for issue in exc.issues:
        if issue.field == prefix or issue.field.startswith((prefix + ".", prefix + "[")):
            rest = issue.field[len(prefix) :].replace("[", ".").replace("]", "")
            loc = tuple(int(p) if p.isdigit() else p for p in rest.split(".") if p)
            errors.append(FieldError(loc, issue.message))
        else:
            errors.append(FieldError((), f"{issue.field}: {issue.message}"))
    return errors


# --- drafts ----------------------------------------------------------------------------------


def is_draft(version: CatalogVersion) -> bool:
    return version.activated_at is None


def start_draft(
    session: Session, tenant_id: str, actor: str, base: int | None = None
) -> CatalogVersion:
    """A new draft copied from version ``base`` (default: the active catalog or the sample)."""
    if base is None:
        source, label = service.active_source(session), "有効な版"
    else:
        source, label = service.get_version(session, base).source, f"版 {base}"
    return service.upload(session, tenant_id, source, actor, note=f"{label}から編集中の下書き")


def save_procedure(
    session: Session,
    tenant_id: str,
    number: int,
    procedure_id: str,
    form: dict[str, Any],
    actor: str,
    expected_digest: str | None = None,
) -> tuple[CatalogVersion, list[str]]:
    """Write one procedure into draft ``number``; returns the draft and the change in words.

    With ``expected_digest`` (the draft as the form was opened), a draft someone else saved in
    the meantime is refused instead of silently overwritten.
    """
    version = service.get_version(session, number)
    if not is_draft(version):
        raise Conflict(
            f"版 {number} は有効にしたことがあるため変更できません。"
            "下書きを作って編集してください。",
            code="catalog_version_not_draft",
        )
    if expected_digest is not None and expected_digest != version.digest:
        raise Conflict(
            f"版 {number} は、この画面を開いた後に他の方が変更しました。"
            "画面を開き直してから編集してください。",
            code="catalog_draft_changed",
        )
    procedure = validate_procedure(procedure_id, form)
    before = {p.id: p for p in parse_catalog(version.source, "draft").spec.procedures}
    text, position = put_procedure(version.source, procedure)
    try:
        compiled = parse_catalog(text, f"draft v{number}")
    except CatalogInvalid as exc:
        fields = [e.as_json() for e in _catalog_errors(exc, position)]
        raise ProcedureInvalid(fields=fields) from exc
    changes = wording.describe_change(before.get(procedure_id), procedure)
    version.source = text
    version.digest = compiled.digest
    version.procedures = len(compiled.procedures)
    session.flush()
    service.remember(compiled)
    record(
        session,
        tenant_id=tenant_id,
        action="catalog.procedure_saved",
        actor=actor,
        detail={"number": number, "procedure": procedure_id, "changes": changes},
    )
    return version, changes
