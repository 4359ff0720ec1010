"""Form layouts as data: what is drawn where, read from YAML and validated.

Coordinates are millimetres from the top-left corner of an A4 sheet (210 × 297 mm), the way a
ruler is laid on a paper form. Values come from the visit record by key (see docs/forms.md for
the keys each form offers); a layout never holds personal data.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from contracts.parse_limits import DocumentRefused, check_yaml_events, read_text_file
from forms.errors import LayoutError, UnknownFormError

BUILTIN_DIR = Path(__file__).parent / "layouts"
Align = Literal["left", "center", "right"]
FontRole = Literal["gothic", "mincho"]


class LayoutModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Text(LayoutModel):
    """Fixed text printed on the sheet (titles, notes)."""

    x: float
    y: float
    text: str
    size: float = 9
    align: Align = "left"


class Box(LayoutModel):
    """A ruled box with an optional small caption in its top-left corner."""

    x: float
    y: float
    w: float
    h: float
    label: str | None = None
    label_size: float = 6.5
    fill: float | None = Field(default=None, description="grey level 0-1 for shaded boxes")


class Field_(LayoutModel):
    """A value from the record, printed in its own box."""

    key: str
    x: float
    y: float
    w: float
    h: float
    label: str | None = None
    label_size: float = 6.5
    size: float = 10
    min_size: float = 5
    align: Align = "left"
    box: bool = True
    multiline: bool = False
    font: FontRole | None = None


class CheckOption(LayoutModel):
    value: str
    label: str
    x: float
    y: float
    also: list[str] = Field(
        default_factory=list, description="other values that tick this box too (procedure ids)"
    )


class CheckGroup(LayoutModel):
    """Small squares with a caption; ✓ in the ones whose value the record holds."""

    key: str
    options: list[CheckOption] = Field(min_length=1)
    size: float = 9


class Column(LayoutModel):
    key: str
    label: str
    w: float
    size: float = 9
    min_size: float = 5
    align: Align = "left"
    multiline: bool = False
    blank_line: bool = Field(
        default=False, description="no value: draw a line to write on (ふりがな a card lacks)"
    )


class Table(LayoutModel):
    """Rows repeated per member or procedure; extra rows continue on further sheets."""

    rows: Literal["members", "procedures", "subjects"]
    x: float
    y: float
    header_h: float = 6
    row_h: float = 10
    rows_per_page: int = Field(ge=1)
    columns: list[Column] = Field(min_length=1)
    label_size: float = 7


class SignatureBox(LayoutModel):
    x: float
    y: float
    w: float
    h: float
    label: str = "署名"


class Layout(LayoutModel):
    form: str
    version: int = Field(ge=1, description="raise it on every change: it enters the document hash")
    title: str
    filename: str = Field(description="file name pattern; {visit} is the visit id")
    font: FontRole = "gothic"
    background: str | None = Field(
        default=None, description="a municipality's own PDF to fill (path relative to the YAML)"
    )
    texts: list[Text] = Field(default_factory=list)
    boxes: list[Box] = Field(default_factory=list)
    fields: list[Field_] = Field(default_factory=list)
    checks: list[CheckGroup] = Field(default_factory=list)
    table: Table | None = None
    signature: SignatureBox | None = None
    footer: bool = True
    source: str = Field(default="", exclude=True)
    # A municipality's uploaded background (a tenant layout kept in the database, not a file).
    _background_pdf: bytes | None = PrivateAttr(default=None)

    def background_path(self) -> Path | None:
        if self.background is None:
            return None
        path = Path(self.background)
        return path if path.is_absolute() else Path(self.source).parent / path

    @property
    def background_pdf(self) -> bytes | None:
        return self._background_pdf

    def with_background(self, pdf: bytes | None) -> Layout:
        """This layout filled onto ``pdf`` (bytes held in memory) instead of a file."""
        copy = self.model_copy(update={"background": None})
        copy._background_pdf = pdf
        return copy


def layout_dirs() -> list[Path]:
    """A municipality's layout folder (MADOGUCHI_FORM_LAYOUTS) first, then the built-in ones."""
    dirs = []
    override = os.environ.get("MADOGUCHI_FORM_LAYOUTS")
    if override:
        dirs.append(Path(override))
    dirs.append(BUILTIN_DIR)
    return dirs


def form_names() -> list[str]:
    return sorted({p.stem for d in layout_dirs() if d.is_dir() for p in d.glob("*.yaml")})


def load_layout(name: str) -> Layout:
    for directory in layout_dirs():
        path = directory / f"{name}.yaml"
        if path.is_file():
            return _parse_layout(str(path), path.stat().st_mtime_ns)
    raise UnknownFormError(name, form_names())


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def _parse_layout(path: str, mtime_ns: int) -> Layout:
    """Parsed once per file version (the mtime is part of the cache key, so edits apply)."""
    try:
        text = read_text_file(Path(path))
    except DocumentRefused as exc:
        raise LayoutError(f"様式レイアウト {path} が正しくありません: {exc}") from exc
    return parse_layout_text(text, path)


def parse_layout_text(text: str, source: str) -> Layout:
    """A layout from YAML (or JSON, which YAML reads too); ``source`` names it in errors."""
    try:
        check_yaml_events(yaml.parse(text, Loader=_LOADER))  # limits before building anything
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506 (a safe loader)
        if not isinstance(data, dict):
            raise TypeError("the layout must be a mapping (form, version, title, fields, …)")
        return Layout.model_validate({**data, "source": source})
    except (yaml.YAMLError, ValidationError, TypeError, DocumentRefused) as exc:
        raise LayoutError(f"様式レイアウト {source} が正しくありません: {exc}") from exc
