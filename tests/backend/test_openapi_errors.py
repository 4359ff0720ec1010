"""The OpenAPI document declares the errors the API really answers, in its error shape, and a
405 lists in ``Allow`` exactly the methods the path has (issue 14, item 8)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.app import create_app


@pytest.fixture(scope="module")
def app_client() -> TestClient:
    return TestClient(create_app())


@pytest.fixture(scope="module")
def document(app_client: TestClient) -> dict[str, Any]:
    return app_client.get("/openapi.json").json()  # type: ignore[no-any-return]


def _responses(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    return document["paths"][path][method]["responses"]  # type: ignore[no-any-return]


def test_a_clerks_write_declares_every_error_it_answers(document: dict[str, Any]) -> None:
    responses = _responses(document, "patch", "/api/v1/visits/{visit_id}")
    for code in ("401", "403", "404", "409", "422", "503"):
        assert code in responses, code
        schema = responses[code]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Error"}
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert error["properties"]["error"]["required"] == ["code", "message"]
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_a_public_route_declares_no_authentication_error(document: dict[str, Any]) -> None:
    responses = _responses(document, "get", "/healthz")
    assert "401" not in responses and "403" not in responses
    assert {"422", "503"} <= set(responses)


def test_every_operation_declares_422_and_503_in_the_error_shape(document: dict[str, Any]) -> None:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for code in ("422", "503"):
                content = operation["responses"][code]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (method, path)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/api/v1/visits", "GET, POST"),
        ("DELETE", "/api/v1/visits/abc", "GET, PATCH"),
        ("PUT", "/healthz", "GET"),
    ],
)
def test_a_405_lists_exactly_the_methods_of_the_path(
    app_client: TestClient, method: str, path: str, allow: str
) -> None:
    response = app_client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json()["error"]["code"] == "method_not_allowed"
