"""The report's API: managers only, surveys recorded and imported, PDF and CSV hold the figures."""

from __future__ import annotations

import datetime as dt
import io

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.journey.history import Office, demo_office, insert_history
from backend.platform.audit.models import AuditEvent
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE, seed_demo

DAYS = [dt.date(2026, 11, 24), dt.date(2026, 11, 25)]
PERIOD = {"from": "2026-11-24", "to": "2026-11-25"}
SURVEY_CSV = (
    "survey,event,persona,surveyed_on,counter,wait_minutes,service_minutes,forms_written,"
    "fields_handwritten,floor_changes,notes\n"
    "s1,moving-in,30代・子ども2人,2026-04-02,市民課,25,15,2,34,0,番号札を2回取った\n"
    "s1,moving-in,30代・子ども2人,2026-04-02,保険年金課,12,10,2,22,1,\n"
    "s2,certificate,50代,2026-04-03,市民課,12,4,1,9,0,\n"
)


def login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": username, "password": DEMO_PASSWORD},
    )
    assert response.status_code == 200, response.text
    return {"x-csrf-token": response.json()["csrf_token"]}


def history(db: Session) -> Office:
    tenant = seed_demo(db)
    office = demo_office(db, tenant.id)
    insert_history(db, office, DAYS, per_day=20)
    return office


def test_a_clerk_cannot_read_the_report(client: TestClient, db: Session) -> None:
    history(db)
    login(client, "clerk")
    assert client.get("/api/v1/journey/report", params=PERIOD).status_code == 403
    assert client.get("/api/v1/journey/report.pdf", params=PERIOD).status_code == 403


def test_surveys_imported_from_csv_become_the_baseline(client: TestClient, db: Session) -> None:
    history(db)
    headers = login(client, "admin")
    response = client.post(
        "/api/v1/journey/surveys/import", json={"csv": SURVEY_CSV}, headers=headers
    )
    assert response.json() == {"imported": 2}
    surveys = client.get("/api/v1/journey/surveys").json()
    assert [len(s["stops"]) for s in surveys] == [1, 2]  # certificate, moving-in
    moving_in = client.get("/api/v1/journey/report", params=PERIOD).json()["events"]["moving-in"]
    assert moving_in["baseline"]["wait_minutes"]["median"] == 37.0
    assert moving_in["baseline"]["fields_handwritten_per_visit"] == 56.0
    deleted = client.delete(f"/api/v1/journey/surveys/{surveys[0]['id']}", headers=headers)
    assert deleted.status_code == 204
    assert len(client.get("/api/v1/journey/surveys").json()) == 1


def test_a_csv_without_its_columns_is_refused(client: TestClient, db: Session) -> None:
    history(db)
    headers = login(client, "admin")
    response = client.post(
        "/api/v1/journey/surveys/import", json={"csv": "a,b\n1,2\n"}, headers=headers
    )
    assert response.status_code == 422
    assert "survey" in response.json()["error"]["message"]


def test_pdf_and_csv_hold_the_figures(client: TestClient, db: Session) -> None:
    history(db)
    login(client, "admin")
    figures = client.get("/api/v1/journey/report", params=PERIOD).json()
    total = figures["total"]
    pdf = client.get("/api/v1/journey/report.pdf", params=PERIOD)
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert f"来庁 {total['visits']} 件" in text
    assert f"中央値 {total['wait_minutes']['median']} 分" in text
    csv_text = client.get("/api/v1/journey/report.csv", params=PERIOD).content.decode("utf-8-sig")
    lines = csv_text.splitlines()
    assert lines[0].startswith("event,label,visits,wait_median_min")
    certificate = next(line for line in lines if line.startswith("certificate,"))
    assert certificate.split(",")[2] == str(figures["events"]["certificate"]["visits"])


def test_charts_are_svg_with_escaped_text(client: TestClient, db: Session) -> None:
    history(db)
    login(client, "admin")
    charts = client.get("/api/v1/journey/charts", params=PERIOD).json()
    assert [c["id"] for c in charts][-4:] == [
        "wait-by-hour", "busiest-days", "slowest-procedures", "writing-avoided",
    ]  # fmt: skip
    assert all(c["svg"].startswith("<svg") for c in charts)


def test_bad_period_is_refused(client: TestClient, db: Session) -> None:
    history(db)
    login(client, "admin")
    params = {"from": "2026-11-25", "to": "2026-11-24"}
    assert client.get("/api/v1/journey/report", params=params).status_code == 422
    assert client.get("/api/v1/journey/report", params={"from": "24/11"}).status_code == 422


def test_the_alert_threshold_is_the_municipalitys_and_audited(
    client: TestClient, db: Session
) -> None:
    history(db)
    assert client.get("/api/v1/journey/settings").status_code == 401
    login(client, "clerk")
    assert client.get("/api/v1/journey/supervisor").status_code == 403
    headers = login(client, "admin")
    assert client.get("/api/v1/journey/settings").json() == {"alert_wait_minutes": 30.0}
    assert client.get("/api/v1/journey/supervisor").json()["threshold_minutes"] == 30.0
    refused = client.put(
        "/api/v1/journey/settings", json={"alert_wait_minutes": 0}, headers=headers
    )
    assert refused.status_code == 422
    saved = client.put(
        "/api/v1/journey/settings", json={"alert_wait_minutes": 12.5}, headers=headers
    )
    assert saved.json() == {"alert_wait_minutes": 12.5}
    # Every supervisor of the municipality now gets this threshold, from the server.
    assert client.get("/api/v1/journey/supervisor").json()["threshold_minutes"] == 12.5
    db.expire_all()
    audited = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "journey.alert_threshold")
        .execution_options(unscoped=True)
    ).all()
    assert [(e.actor.startswith("staff:"), e.detail) for e in audited] == [
        (True, {"from": 30.0, "to": 12.5})
    ]
