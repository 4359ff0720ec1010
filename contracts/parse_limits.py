"""Limits every document read from outside must respect, checked before it is parsed or walked.

A catalog, a form layout, an address list, a visit file or a JSON request body is refused when
it is too large, nested too deeply, or (YAML) expands through aliases into too many nodes: a
depth-50,000 ``[`` or a 300-byte alias bomb must fail in milliseconds with a clear message, not
crash the parser or take gigabytes. These checks are the part of the contract "what madoguchi
accepts" that every reader shares, so they live here, in the standard library only: PyYAML's
events are recognised by their class names, and the YAML glue stays with each caller
(``backend.platform.safe_parse``, ``forms.layout``, ``hardware.card.emulator``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ParseLimits:
    max_bytes: int = 2 * 1024 * 1024
    max_depth: int = 64
    # Nodes after expanding every YAML alias (keys and values count one each).
    max_nodes: int = 250_000


DEFAULT_LIMITS = ParseLimits()
# Python refuses to convert longer decimal strings to int (sys.get_int_max_str_digits()).
MAX_INT_DIGITS = 4300


class DocumentRefused(ValueError):
    """A document that is refused before it is parsed; ``code`` is stable, ``message`` is one
    line for the operator or the clerk."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


def too_large(limits: ParseLimits) -> DocumentRefused:
    return DocumentRefused(
        "document_too_large", f"大きすぎます（上限 {limits.max_bytes:,} バイト）"
    )


def _too_deep(limits: ParseLimits) -> DocumentRefused:
    return DocumentRefused("document_too_deep", f"入れ子が深すぎます（上限 {limits.max_depth} 段）")


def check_size(data: str | bytes, limits: ParseLimits = DEFAULT_LIMITS) -> None:
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        raise too_large(limits)


# A JSON string (possibly unterminated), a bracket, or a number too long to convert: strings
# are skipped whole, so brackets and digits inside them do not count.
# (The look-behind starts a digit match only where a run of digits starts: linear time.)
_JSON_SCAN = r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]|(?<![0-9])[0-9]{' + f"{MAX_INT_DIGITS + 1}}}"
_JSON_TOKEN = re.compile(_JSON_SCAN, re.DOTALL)
_JSON_TOKEN_BYTES = re.compile(_JSON_SCAN.encode(), re.DOTALL)
_OPENERS = frozenset("[{")
_CLOSERS = frozenset("]}")


def check_json(data: str | bytes, limits: ParseLimits = DEFAULT_LIMITS) -> None:
    """Refuse JSON text that is too large, nested too deeply or holds an integer too long to
    convert, without parsing it.

    Scans brackets outside strings (no recursion, stops at the first bracket too deep); a
    malformed text passes here and is reported by the JSON parser afterwards.
    """
    check_size(data, limits)
    if isinstance(data, bytes):
        tokens = (m.group().decode("latin-1") for m in _JSON_TOKEN_BYTES.finditer(data))
    else:
        tokens = (m.group() for m in _JSON_TOKEN.finditer(data))
    depth = 0
    for token in tokens:
        if token in _OPENERS:
            depth += 1
            if depth > limits.max_depth:
                raise _too_deep(limits)
        elif token in _CLOSERS:
            depth = max(depth - 1, 0)
        elif token[0] != '"':
            raise _number_too_large()


_COLLECTION_START = frozenset({"MappingStartEvent", "SequenceStartEvent"})
_COLLECTION_END = frozenset({"MappingEndEvent", "SequenceEndEvent"})
_BIG_INT = re.compile(r"[-+]?[0-9][0-9_:]*")


def check_yaml_events(events: Iterable[object], limits: ParseLimits = DEFAULT_LIMITS) -> None:
    """Refuse a YAML document from its parser events (``yaml.parse(text, Loader=...)``) before
    anything is constructed: too deep, too many nodes once aliases are expanded (an alias
    counts as the whole subtree it names), an alias to a node that contains it, or an integer
    too long to convert. Stops at the first problem, so a bomb costs a few hundred events.
    """
    total = 0
    open_anchors: list[str | None] = []  # one per open collection
    open_sizes: list[int] = []  # expanded size of each open collection so far
    sizes: dict[str, int] = {}  # expanded size of each finished anchored node
    for event in events:
        kind = type(event).__name__
        anchor = getattr(event, "anchor", None)
        cost = 0
        if kind in _COLLECTION_START:
            if len(open_sizes) >= limits.max_depth:
                raise _too_deep(limits)
            open_anchors.append(anchor)
            open_sizes.append(1)
            cost = 1
        elif kind in _COLLECTION_END:
            closed_anchor, size = open_anchors.pop(), open_sizes.pop()
            if closed_anchor is not None:
                sizes[closed_anchor] = size
            if open_sizes:
                open_sizes[-1] += size
        elif kind == "ScalarEvent":
            _check_scalar(event)
            cost = 1
            if anchor is not None:
                sizes[anchor] = 1
            if open_sizes:
                open_sizes[-1] += 1
        elif kind == "AliasEvent":
            if anchor in open_anchors:
                raise DocumentRefused(
                    "document_recursive_alias", f"別名 *{anchor} が自分自身を含んでいます"
                )
            cost = sizes.get(anchor, 1) if anchor is not None else 1  # unknown: parser's error
            if open_sizes:
                open_sizes[-1] += cost
        total += cost
        if total > limits.max_nodes:
            raise DocumentRefused(
                "document_too_many_nodes",
                f"要素が多すぎます（別名 * を展開して上限 {limits.max_nodes:,} 個）",
            )


def _check_scalar(event: object) -> None:
    value = getattr(event, "value", "")
    plain = not getattr(event, "style", None)  # None (PyYAML) or "" (libyaml)
    if plain and len(value) > MAX_INT_DIGITS and _BIG_INT.fullmatch(value):
        raise _number_too_large()


def _number_too_large() -> DocumentRefused:
    return DocumentRefused("number_too_large", f"数値が長すぎます（上限 {MAX_INT_DIGITS} 桁）")


def read_text_file(path: Path, limits: ParseLimits = DEFAULT_LIMITS) -> str:
    """A document file as text, or DocumentRefused with one line saying why it cannot be read:
    a directory, too large (checked before reading), binary, or not UTF-8.

    ``FileNotFoundError`` passes through: each command already reports a missing file its way.
    """
    if path.is_dir():
        raise DocumentRefused("not_a_file", "フォルダーです。ファイルを指定してください")
    try:
        if path.stat().st_size > limits.max_bytes:
            raise too_large(limits)
        data = path.read_bytes()
    except (FileNotFoundError, DocumentRefused):
        raise
    except OSError as exc:
        raise DocumentRefused("unreadable", f"読めません: {exc.strerror or exc}") from exc
    if b"\x00" in data:
        raise DocumentRefused("binary_file", "テキストファイルではありません（バイナリ）")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentRefused(
            "not_utf8", f"UTF-8 で保存してください（{exc.start} バイト目が読めません）"
        ) from exc
