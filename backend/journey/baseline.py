"""Baseline surveys ("before"): record, import from a spreadsheet, and add up per event."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.journey.figures import mean, percentile, rounded
from backend.journey.models import BaselineSurvey
from backend.journey.schemas import SurveyWrite
from backend.platform.errors import NotFound, ValidationFailed

# The spreadsheet's columns: one row per stop; rows with the same survey key form one survey.
CSV_COLUMNS = (
    "survey",
    "event",
    "persona",
    "surveyed_on",
    "counter",
    "wait_minutes",
    "service_minutes",
    "forms_written",
    "fields_handwritten",
    "floor_changes",
    "notes",
)


class SurveyNotFound(NotFound):
    code = "survey_not_found"
    default_message = "調査記録が見つかりません。"


def list_surveys(
    session: Session, tenant_id: str, event: str | None = None
) -> list[BaselineSurvey]:
    # Filtered explicitly: the report also runs in the CLI's unscoped session.
    query = (
        select(BaselineSurvey)
        .where(BaselineSurvey.tenant_id == tenant_id)
        .order_by(BaselineSurvey.event, BaselineSurvey.created_at)
    )
    if event is not None:
        query = query.where(BaselineSurvey.event == event)
    return list(session.scalars(query))


def add_survey(session: Session, data: SurveyWrite, actor: str | None) -> BaselineSurvey:
    survey = BaselineSurvey(
        event=data.event,
        persona=data.persona,
        surveyed_on=data.surveyed_on,
        stops=[stop.model_dump() for stop in data.stops],
        notes=data.notes,
        photo_captions=list(data.photo_captions),
        recorded_by=actor,
    )
    session.add(survey)
    session.flush()
    return survey


def delete_survey(session: Session, survey_id: str) -> None:
    survey = session.get(BaselineSurvey, survey_id)
    if survey is None or survey.tenant_id != session.info.get("tenant_id"):
        raise SurveyNotFound()
    session.delete(survey)
    session.flush()


def parse_csv(text: str) -> list[SurveyWrite]:
    """Surveys from a spreadsheet saved as CSV (UTF-8, BOM allowed); one line per stop."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"survey", "event", "persona", "counter"} - set(reader.fieldnames or [])
    if missing:
        raise ValidationFailed(f"CSV の列が足りません: {', '.join(sorted(missing))}")
    grouped: dict[str, dict[str, Any]] = {}
    for line, row in enumerate(reader, start=2):
        key = (row.get("survey") or "").strip() or f"line-{line}"
        survey = grouped.setdefault(key, _survey_head(row))
        survey["stops"].append({k: row.get(k) or 0 for k in CSV_COLUMNS[4:10]})
        survey["stops"][-1]["counter"] = (row.get("counter") or "").strip()
        if row.get("notes"):
            survey["notes"] = "\n".join(filter(None, [survey.get("notes"), row["notes"]]))
    try:
        return [SurveyWrite.model_validate(survey) for survey in grouped.values()]
    except ValidationError as exc:
        raise ValidationFailed(f"CSV の内容を確認してください: {exc.errors()[0]['msg']}") from None


def _survey_head(row: dict[str, str]) -> dict[str, Any]:
    return {
        "event": (row.get("event") or "").strip(),
        "persona": (row.get("persona") or "").strip(),
        "surveyed_on": (row.get("surveyed_on") or "").strip() or None,
        "stops": [],
    }


def import_csv(session: Session, text: str, actor: str | None) -> list[BaselineSurvey]:
    return [add_survey(session, survey, actor) for survey in parse_csv(text)]


def _totals(survey: BaselineSurvey) -> dict[str, float]:
    def total(key: str) -> float:
        return float(sum(float(stop.get(key) or 0) for stop in survey.stops))

    return {
        "wait": total("wait_minutes"),
        "service": total("service_minutes"),
        "counters": float(len(survey.stops)),
        "forms": total("forms_written"),
        "fields": total("fields_handwritten"),
        "floors": total("floor_changes"),
    }


def baseline_figures(surveys: list[BaselineSurvey]) -> dict[str, dict[str, Any]]:
    """Per event: the surveys' median/p90 wait, median service (minutes) and the means."""
    by_event: dict[str, list[dict[str, float]]] = defaultdict(list)
    for survey in surveys:
        by_event[survey.event].append(_totals(survey))
    return {event: _figures(rows) for event, rows in by_event.items()}


def _figures(rows: list[dict[str, float]]) -> dict[str, Any]:
    waits = sorted(r["wait"] for r in rows)
    services = sorted(r["service"] for r in rows)
    return {
        "surveys": len(rows),
        "wait_minutes": {
            "median": rounded(percentile(waits, 0.5)),
            "p90": rounded(percentile(waits, 0.9)),
        },
        "service_minutes": {
            "median": rounded(percentile(services, 0.5)),
            "p90": rounded(percentile(services, 0.9)),
        },
        "counters_per_visit": rounded(mean([r["counters"] for r in rows])),
        "forms_written_per_visit": rounded(mean([r["forms"] for r in rows])),
        "fields_handwritten_per_visit": rounded(mean([r["fields"] for r in rows])),
        "floor_changes_per_visit": rounded(mean([r["floors"] for r in rows])),
    }
