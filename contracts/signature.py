"""A resident's one signature, as captured on the tablet (signature_pad strokes)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class StrokePoint(BaseModel):
    model_config = ConfigDict(extra="ignore")

    x: float
    y: float
    pressure: float = 0.5
    time: float = 0.0


class Stroke(BaseModel):
    model_config = ConfigDict(extra="ignore")

    points: list[StrokePoint] = Field(min_length=1)


class Signature(BaseModel):
    """Strokes with the canvas they were drawn on; an optional PNG rendering (base64)."""

    model_config = ConfigDict(extra="forbid")

    width: float = Field(gt=0)
    height: float = Field(gt=0)
    strokes: list[Stroke] = Field(default_factory=list)
    png_base64: str | None = None
    device: str | None = None
