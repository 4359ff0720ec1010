"""``/api/v1/journey``: the managers' report (JSON, charts, PDF, CSV) and baseline surveys."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from backend.identity.tenants.models import Tenant
from backend.journey import baseline, charts, exports
from backend.journey.live import TOKYO
from backend.journey.report import build_report
from backend.journey.schemas import ImportResult, SurveyRead, SurveyWrite
from backend.journey.supervisor import alert_threshold, set_alert_threshold, supervisor_view
from backend.platform.access import Permission, Principal, require
from backend.platform.deps import SessionDep
from backend.platform.errors import ValidationFailed

router = APIRouter(prefix="/api/v1/journey", tags=["journey"])

Manager = Annotated[Principal, Depends(require(Permission.JOURNEY_REPORT))]
Lang = Annotated[Literal["ja", "en"], Query()]
MAX_DAYS = 3660


def _period(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    end = end or dt.datetime.now(TOKYO).date()
    start = start or end - dt.timedelta(days=29)
    if end < start or (end - start).days > MAX_DAYS:
        raise ValidationFailed("期間を確認してください（開始日は終了日以前、10年以内）。")
    return start, end


def _report(
    session: SessionDep, principal: Principal, start: dt.date | None, end: dt.date | None
) -> dict[str, Any]:
    tenant = session.get(Tenant, principal.tenant_id)
    assert tenant is not None
    first, last = _period(start, end)
    return build_report(session, tenant, first, last)


From = Annotated[dt.date | None, Query(alias="from", description="first day (Tokyo)")]
To = Annotated[dt.date | None, Query(alias="to", description="last day, inclusive")]


@router.get("/report")
def report(principal: Manager, session: SessionDep, start: From = None, end: To = None) -> Any:
    """Per life event: visits, wait, service, counters, writing avoided, baseline and change."""
    return _report(session, principal, start, end)


class ChartRead(BaseModel):
    id: str
    title: str
    svg: str = Field(description="a standalone SVG element, text escaped")


@router.get("/charts", response_model=list[ChartRead])
def chart_list(
    principal: Manager, session: SessionDep, start: From = None, end: To = None, lang: Lang = "ja"
) -> list[ChartRead]:
    figures = _report(session, principal, start, end)
    return [
        ChartRead(id=c.id, title=c.title, svg=charts.svg(c))
        for c in charts.all_charts(figures, lang)
    ]


def _download(export: exports.Export) -> Response:
    name, content_type, content = export
    return Response(
        content,
        media_type=content_type,
        headers={
            "content-disposition": f'attachment; filename="{name}"',
            "cache-control": "no-store",
        },
    )


@router.get("/report.pdf", response_class=Response)
def report_pdf(
    principal: Manager, session: SessionDep, start: From = None, end: To = None, lang: Lang = "ja"
) -> Response:
    return _download(exports.report_pdf(_report(session, principal, start, end), lang))


@router.get("/report.csv", response_class=Response)
def report_csv(
    principal: Manager, session: SessionDep, start: From = None, end: To = None, lang: Lang = "ja"
) -> Response:
    return _download(exports.report_csv(_report(session, principal, start, end), lang))


# --- baseline surveys ---------------------------------------------------------------------


@router.get("/surveys", response_model=list[SurveyRead])
def surveys(principal: Manager, session: SessionDep) -> list[SurveyRead]:
    rows = baseline.list_surveys(session, principal.tenant_id)
    return [SurveyRead.model_validate(row) for row in rows]


@router.post("/surveys", response_model=SurveyRead, status_code=201)
def add_survey(body: SurveyWrite, principal: Manager, session: SessionDep) -> SurveyRead:
    return SurveyRead.model_validate(baseline.add_survey(session, body, principal.actor))


class SurveyImport(BaseModel):
    csv: str = Field(max_length=1_000_000, description="the spreadsheet saved as CSV (UTF-8)")


@router.post("/surveys/import", response_model=ImportResult)
def import_surveys(body: SurveyImport, principal: Manager, session: SessionDep) -> ImportResult:
    """Surveys from a spreadsheet: one line per stop, lines with the same ``survey`` together."""
    return ImportResult(imported=len(baseline.import_csv(session, body.csv, principal.actor)))


@router.delete("/surveys/{survey_id}", status_code=204, response_class=Response)
def delete_survey(survey_id: str, principal: Manager, session: SessionDep) -> Response:
    baseline.delete_survey(session, survey_id)
    return Response(status_code=204)


# --- the supervisor's view ----------------------------------------------------------------


@router.get("/supervisor")
def supervisor(
    principal: Manager,
    session: SessionDep,
    threshold: Annotated[
        float | None,
        Query(gt=0, le=600, description="alert above (minutes); default: the municipality's"),
    ] = None,
) -> Any:
    """Queues' waiting count and longest wait, counters' state and current service time."""
    if threshold is None:
        threshold = alert_threshold(session, principal.tenant_id)
    return supervisor_view(session, threshold)


class JourneySettingsBody(BaseModel):
    alert_wait_minutes: float = Field(
        gt=0, le=600, description="the supervisor's view alerts when a wait passes this"
    )


@router.get("/settings", response_model=JourneySettingsBody)
def settings(principal: Manager, session: SessionDep) -> JourneySettingsBody:
    """The municipality's settings of the report and the supervisor's view."""
    return JourneySettingsBody(alert_wait_minutes=alert_threshold(session, principal.tenant_id))


@router.put("/settings", response_model=JourneySettingsBody)
def update_settings(
    body: JourneySettingsBody, principal: Manager, session: SessionDep
) -> JourneySettingsBody:
    """Set the alert threshold for every supervisor of the municipality (audited)."""
    minutes = set_alert_threshold(
        session, principal.tenant_id, body.alert_wait_minutes, principal.actor
    )
    return JourneySettingsBody(alert_wait_minutes=minutes)
