"""The hot routes' inputs are checked after their caller, as a ``require`` dependency orders it
(``access.body_checked_later``): an anonymous caller gets 401 and one without the permission
403 whatever it sent; an allowed caller gets FastAPI's 422 for the same input, field by field;
the OpenAPI document declares each body as FastAPI declares one it checks itself."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.counter.schemas import VisitUpdate
from backend.platform.access import NOT_SENT, checked
from tests.backend.counter.conftest import Clerk, login

BODY_ROUTES = (
    ("POST", "/api/v1/visits", "VisitCreate"),
    ("PATCH", "/api/v1/visits/{visit_id}", "VisitUpdate"),
    ("POST", "/api/v1/visits/{visit_id}/answers", "Answers"),
    ("POST", "/api/v1/visits/{visit_id}/members", "MemberCreate"),
    ("PATCH", "/api/v1/visits/{visit_id}/members/{member_id}", "MemberUpdate"),
    ("POST", "/api/v1/agent/card-reads", "CardReadCreate"),
    ("POST", "/api/v1/agent/jobs/{job_id}/pin", "PinSubmit"),
    ("POST", "/api/v1/tablet/visits/{visit_id}/signature", "SignatureSubmit"),
    ("POST", "/api/v1/tickets", "TicketCreate"),
)
# A JSON array: no body model of the routes above accepts one.
REFUSED = b"[1]"
JSON = {"content-type": "application/json"}


def _url(path: str) -> str:
    return path.format(visit_id="v-none", member_id="m-none", job_id="j-none")


def _fields(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_failed"
    return response.json()["error"]["fields"]


@pytest.mark.parametrize(("method", "path", "_model"), BODY_ROUTES)
def test_an_anonymous_caller_gets_401_whatever_its_body(
    client: TestClient, demo: object, method: str, path: str, _model: str
) -> None:
    refused = client.request(method, _url(path), content=REFUSED, headers=JSON)
    missing = client.request(method, _url(path))
    for response in (refused, missing):
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "not_authenticated"


def test_a_caller_without_the_permission_gets_403_whatever_its_body(
    client: TestClient, demo: object
) -> None:
    csrf = {"x-csrf-token": login(client, "backoffice")}
    for method, path, _model in BODY_ROUTES:
        refused = client.request(method, _url(path), content=REFUSED, headers={**csrf, **JSON})
        missing = client.request(method, _url(path), headers=csrf)
        for response in (refused, missing):
            assert response.status_code == 403, (method, path, response.text)


def test_an_allowed_caller_gets_fastapis_422(clerk: Clerk) -> None:
    headers = {"x-csrf-token": clerk.csrf}
    not_an_object = "Input should be a valid dictionary or object to extract fields from"
    refused = clerk.client.post("/api/v1/visits", headers={**headers, **JSON}, content=REFUSED)
    assert _fields(refused) == [{"field": "body", "message": not_an_object}]
    missing = clerk.client.post("/api/v1/visits", headers=headers)
    assert _fields(missing) == [{"field": "body", "message": "Field required"}]
    null = clerk.client.post("/api/v1/visits", headers={**headers, **JSON}, content=b"null")
    assert _fields(null) == [{"field": "body", "message": not_an_object}]
    vid = clerk.post("/api/v1/visits", {"counter_id": clerk.counter.id}).json()["id"]
    extra = clerk.patch(f"/api/v1/visits/{vid}", {"event_date": "someday", "bogus": 1})
    assert _fields(extra) == [
        {"field": "body.event_date", "message": "Input should be a valid date or datetime, "
         "input is too short"},
        {"field": "body.bogus", "message": "Extra inputs are not permitted"},
    ]  # fmt: skip
    assert clerk.get(f"/api/v1/visits/{vid}").json()["event_date"] is None  # nothing written


def test_the_job_wait_is_checked_after_the_caller(client: TestClient, clerk: Clerk) -> None:
    url = "/api/v1/agent/jobs/j-none"
    assert _fields(client.get(url, params={"wait": "99"})) == [
        {"field": "query.wait", "message": "Input should be less than or equal to 25"}
    ]
    assert _fields(client.get(url, params={"wait": "soon"}))[0]["field"] == "query.wait"
    assert client.get(url, params={"wait": "1"}).status_code == 404
    client.cookies.clear()
    assert client.get(url, params={"wait": "99"}).status_code == 401


def test_checked_raises_what_fastapi_raises() -> None:
    from fastapi.exceptions import RequestValidationError

    with pytest.raises(RequestValidationError) as missing:
        checked(VisitUpdate, NOT_SENT)
    assert [e["loc"] for e in missing.value.errors()] == [("body",)]
    assert checked(VisitUpdate, {"event_date": "2026-11-24"}).event_date is not None


def test_the_document_declares_each_body_as_fastapi_does(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for method, path, model in BODY_ROUTES:
        body = document["paths"][path][method.lower()]["requestBody"]
        schema = {"$ref": f"#/components/schemas/{model}"}
        assert body == {"required": True, "content": {"application/json": {"schema": schema}}}
    wait = document["paths"]["/api/v1/agent/jobs/{job_id}"]["get"]["parameters"][1]
    assert wait["name"] == "wait" and wait["required"] is False
    assert wait["schema"] == {
        "type": "number", "minimum": 0, "maximum": 25.0, "default": 0, "title": "Wait"
    }  # fmt: skip
