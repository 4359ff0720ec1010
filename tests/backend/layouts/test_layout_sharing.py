"""共創 for layouts (issue 18): one municipality's active layouts travel as a signed file and
arrive at another as drafts; a file changed on the way is refused."""

from __future__ import annotations

import base64
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.identity.tenants.service import create_tenant
from backend.layouts import service, sharing
from backend.platform.errors import ValidationFailed
from tests.backend.addresses.test_area_import import admin
from tests.backend.layouts.test_layouts_api import OWN_TITLE, own_notice, upload
from tests.forms.test_layout_upload import background_pdf

__all__ = ["admin"]


def test_a_layout_set_travels_signed_and_arrives_as_drafts(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    assert client.get("/api/v1/forms/layouts/bundle").json()["error"]["code"] == (
        "no_layouts_to_share"
    )
    pdf = base64.b64encode(background_pdf()).decode()
    assert upload(client, admin, own_notice(), background_base64=pdf).status_code == 201
    client.post("/api/v1/forms/layouts/moving-notice/versions/1/activate", headers=admin)
    exported = client.get("/api/v1/forms/layouts/bundle")
    assert exported.headers["content-disposition"].startswith("attachment")

    other = create_tenant(db, code="012025", name="見本市", actor="t")
    drafts = sharing.import_bundle(db, other.id, exported.content, actor="t")
    assert [(d.form, d.active) for d in drafts] == [("moving-notice", False)]
    assert drafts[0].note == "共創: 窓口デモ市（991007） 第1版"
    assert drafts[0].background_sha256 is not None  # the background came along
    assert service.layouts_for(db, other.id) == {}  # a draft until the other admin activates it
    service.activate(db, other.id, "moving-notice", drafts[0].number, actor="t")
    assert service.layouts_for(db, other.id)["moving-notice"].title == OWN_TITLE


def test_a_changed_bundle_is_refused(client: TestClient, admin: dict[str, str]) -> None:
    upload(client, admin, own_notice())
    client.post("/api/v1/forms/layouts/moving-notice/versions/1/activate", headers=admin)
    bundle = client.get("/api/v1/forms/layouts/bundle").json()
    bundle["layouts"][0]["source"] = bundle["layouts"][0]["source"].replace("住民異動届", "別の届")
    refused = client.post("/api/v1/forms/layouts/bundle/upload", json=bundle, headers=admin)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "layout_bundle_invalid"
    assert "署名が一致しません" in refused.json()["error"]["message"]
    with pytest.raises(ValidationFailed):
        sharing.read_bundle(json.dumps({"format": "something else"}).encode())
