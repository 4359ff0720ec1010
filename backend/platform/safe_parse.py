"""The backend's one way to parse YAML and JSON from outside (catalogs, address lists, visit
files): the limits of ``contracts.parse_limits`` are checked before anything is constructed,
and a refusal is a 422 ``MadoguchiError`` with a stable code (one line on the CLI).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from backend.platform.errors import ValidationFailed
from contracts.parse_limits import (
    DEFAULT_LIMITS,
    DocumentRefused,
    ParseLimits,
    check_json,
    check_size,
    check_yaml_events,
    read_text_file,
)

# libyaml when present; the same loader for the check and the load.
YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DocumentTooComplex(ValidationFailed):
    """A document refused by the parse limits (too large, too deep, an alias bomb, …)."""

    code = "document_refused"
    default_message = "読み込めない文書です。"

    @classmethod
    def from_refusal(cls, refusal: DocumentRefused) -> DocumentTooComplex:
        return cls(refusal.message, code=refusal.code)


def check_yaml(text: str, limits: ParseLimits = DEFAULT_LIMITS) -> None:
    """Refuse YAML over the limits; a YAML syntax error is left to the loader that follows."""
    try:
        check_size(text, limits)
        check_yaml_events(yaml.parse(text, Loader=YAML_LOADER), limits)
    except DocumentRefused as exc:
        raise DocumentTooComplex.from_refusal(exc) from None
    except yaml.YAMLError:
        return


def load_yaml(text: str, limits: ParseLimits = DEFAULT_LIMITS) -> Any:
    """``yaml.safe_load`` after the limits; raises ``yaml.YAMLError`` for malformed YAML."""
    check_yaml(text, limits)
    return yaml.load(text, Loader=YAML_LOADER)  # noqa: S506 (a safe loader)


def check_json_text(text: str | bytes, limits: ParseLimits = DEFAULT_LIMITS) -> None:
    """Refuse JSON over the size and depth limits (before ``model_validate_json`` or a parse)."""
    try:
        check_json(text, limits)
    except DocumentRefused as exc:
        raise DocumentTooComplex.from_refusal(exc) from None


def load_json(text: str | bytes, limits: ParseLimits = DEFAULT_LIMITS) -> Any:
    """``json.loads`` after the limits; raises ``json.JSONDecodeError`` for malformed JSON."""
    check_json_text(text, limits)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as exc:  # an integer too long to convert
        raise DocumentTooComplex("数値が長すぎます", code="number_too_large") from exc


def read_text(path: Path, limits: ParseLimits = DEFAULT_LIMITS) -> str:
    """A document file as UTF-8 text (``FileNotFoundError`` passes through)."""
    try:
        return read_text_file(path, limits)
    except DocumentRefused as exc:
        raise DocumentTooComplex.from_refusal(exc) from None
