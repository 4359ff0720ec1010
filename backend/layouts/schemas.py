"""API shapes of a municipality's form layouts."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from forms.upload import MAX_BACKGROUND_BYTES, MAX_LAYOUT_CHARS


class LayoutUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")
    form: str = Field(max_length=64, description="the form laid out, e.g. moving-notice")
    source: str = Field(
        max_length=MAX_LAYOUT_CHARS, description="the layout, YAML or JSON (docs/forms.md)"
    )
    background_base64: str | None = Field(
        default=None,
        max_length=MAX_BACKGROUND_BYTES * 4 // 3 + 8,
        description="the municipality's own PDF to fill (base64), if any",
    )
    note: str | None = Field(default=None, max_length=200)


class LayoutVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    form: str
    number: int
    active: bool
    note: str | None
    background_sha256: str | None
    digest: str
    created_by: str | None
    created_at: dt.datetime


class FormLayoutsRead(BaseModel):
    form: str
    title: str
    active: int | None = Field(description="the active version; null: the built-in layout")
    versions: list[LayoutVersionRead] = Field(description="newest first")
