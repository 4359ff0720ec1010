"""Issue 18: an admin uploads a municipality's own layout of a form, previews it with an
invented household, activates it — and the counter draws that municipality's forms with it,
while another municipality keeps the built-in layout."""

from __future__ import annotations

import base64
import io

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy.orm import Session

from backend.counter import rendering
from backend.identity.tenants.models import Tenant
from backend.identity.tenants.service import create_tenant
from backend.layouts import service
from backend.platform.audit.models import AuditEvent
from tests.backend.addresses.test_area_import import admin
from tests.backend.counter.conftest import Clerk
from tests.backend.counter_documents.test_counter_flow_api import moving_in_visit
from tests.forms.test_layout_upload import background_pdf, builtin

__all__ = ["admin"]  # the demo admin's CSRF header (a fixture)

OWN_TITLE = "住民異動届（市の様式）"


def own_notice() -> str:
    text = builtin("moving-notice").replace("title: 住民異動届", f"title: {OWN_TITLE}", 1)
    return text.replace("text: 住民異動届,", f"text: {OWN_TITLE},", 1)


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def upload(client: TestClient, admin: dict[str, str], source: str, **extra: object):  # type: ignore[no-untyped-def]
    body = {"form": "moving-notice", "source": source, **extra}
    return client.post("/api/v1/forms/layouts/upload", json=body, headers=admin)


def test_upload_preview_activate_and_back_to_the_builtin_layout(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    pdf = base64.b64encode(background_pdf()).decode()
    created = upload(client, admin, own_notice(), background_base64=pdf, note="市の様式")
    assert created.status_code == 201, created.text
    assert (created.json()["number"], created.json()["active"]) == (1, False)

    preview = client.get("/api/v1/forms/layouts/moving-notice/versions/1/preview")
    assert preview.headers["content-type"] == "application/pdf"
    text = text_of(preview.content)
    assert "MUNICIPAL FORM 2026" in text and "見本\u3000太郎" in text

    activated = client.post(
        "/api/v1/forms/layouts/moving-notice/versions/1/activate", headers=admin
    )
    assert activated.status_code == 200 and activated.json()["active"] is True
    listed = {f["form"]: f for f in client.get("/api/v1/forms/layouts").json()}
    assert listed["moving-notice"]["active"] == 1 and listed["checklist"]["active"] is None

    back = client.post("/api/v1/forms/layouts/moving-notice/builtin", headers=admin)
    assert back.status_code == 204
    listed = {f["form"]: f for f in client.get("/api/v1/forms/layouts").json()}
    assert listed["moving-notice"]["active"] is None
    actions = [e.action for e in db.query(AuditEvent).order_by(AuditEvent.seq)]
    assert actions[-3:] == [
        "forms.layout_uploaded",
        "forms.layout_activated",
        "forms.layout_builtin",
    ]


def test_a_refused_upload_lists_every_problem(client: TestClient, admin: dict[str, str]) -> None:
    source = own_notice().replace("key: applicant_name", "key: applicant_nam")
    not_pdf = base64.b64encode(b"PK\x03\x04 a zip").decode()
    refused = upload(client, admin, source, background_base64=not_pdf)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "forms.layout_refused"
    assert any("「applicant_nam」はこの様式にない項目です" in i for i in error["issues"])
    assert any("PDF ではありません" in i for i in error["issues"])
    assert client.get("/api/v1/forms/layouts/moving-notice/versions/1/preview").status_code == 404


def test_the_counter_draws_with_the_municipality_s_active_layout_only(
    clerk: Clerk, db: Session
) -> None:
    """The other municipality has no layout of its own: its forms stay the built-in ones."""
    rendering.clear_cache()
    vid = moving_in_visit(clerk, db)
    url = f"/api/v1/visits/{vid}/forms/moving-notice/preview"
    assert OWN_TITLE not in text_of(clerk.client.get(url).content)

    row = service.upload(
        db, clerk.tenant.id, "moving-notice", own_notice(), None, note=None, actor="t"
    )
    service.activate(db, clerk.tenant.id, "moving-notice", row.number, actor="t")
    assert OWN_TITLE in text_of(clerk.client.get(url).content)  # neither cache held it back

    other = create_tenant(db, code="012025", name="見本市", actor="t")
    assert isinstance(other, Tenant)
    assert service.layouts_for(db, other.id) == {}
    assert service.layouts_for(db, clerk.tenant.id)["moving-notice"].title == OWN_TITLE
    rendering.clear_cache()
