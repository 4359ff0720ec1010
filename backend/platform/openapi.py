"""The OpenAPI document says which errors an operation really answers, and a 405 says which
methods a path really has.

Every error leaves the API as ``{"error": {"code", "message", ...}}`` (``backend.platform
.errors``, one handler in ``backend.app``). FastAPI's document knows none of it: it declares a
422 in its own shape (``detail``) and nothing else. ``install`` post-processes the document:

- every operation: 422 (a refused input, the request guard's bad bytes) and 503 (the database
  is unavailable), in the error shape;
- an operation that needs a permission (``access.require``): 401 and 403;
- an operation with a path parameter: 404; a writing one that needs a permission: 409;
- a hot route's body checked after its caller (``access.body_checked_later``): required, as
  FastAPI declares a body it validates itself (the parameter's default only marks "not sent").

``allowed_methods`` is what a 405 lists in ``Allow``: the methods of every route whose path
matches, not those of the first route tried (nor the static files' ``GET, HEAD``).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.routing import Route, compile_path

from backend.platform.access import is_checked_later
from backend.platform.access_matrix import api_routes, route_permissions

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "stable, e.g. visit_closed"},
                "message": {"type": "string", "description": "for the clerk, in Japanese"},
                "field": {"type": "string", "description": "the refused field, when one"},
                "fields": {
                    "type": "array",
                    "description": "validation_failed: each refused field",
                    "items": {
                        "type": "object",
                        "properties": {
                            "field": {"type": "string"},
                            "message": {"type": "string"},
                        },
                    },
                },
            },
            "additionalProperties": True,
        }
    },
}

DESCRIPTIONS = {
    "401": "not_authenticated: no valid session or device token",
    "403": "forbidden: the role or device may not do this (or CSRF token missing)",
    "404": "not_found (or a more precise code, e.g. visit_not_found)",
    "409": "conflict: the state does not allow it (e.g. visit_closed)",
    "422": "validation_failed, or a refused value (the field is named)",
    "503": "database_unavailable or service_unavailable",
}
WRITES = {"post", "put", "patch", "delete"}
_REF = {"$ref": "#/components/schemas/Error"}


def _error_response(code: str) -> dict[str, Any]:
    return {"description": DESCRIPTIONS[code], "content": {"application/json": {"schema": _REF}}}


def add_error_responses(document: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    """Declare the real error answers of every operation of ``document`` (in place)."""
    document.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    permissions = route_permissions(app)
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = ["422", "503"]
            if permissions.get((method.upper(), path)) is not None:
                codes += ["401", "403"]
                if method in WRITES:
                    codes.append("409")
            if "{" in path:
                codes.append("404")
            responses = operation["responses"]
            for code in codes:
                declared = responses.get(code)
                if declared is None or code == "422":  # FastAPI's own 422 is not our shape
                    responses[code] = _error_response(code)
                else:
                    declared.setdefault("content", {"application/json": {"schema": _REF}})
    schemas = document["components"]["schemas"]
    still_used = repr(document.get("paths"))
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused in schemas and f"/{unused}'" not in still_used:
            schemas.pop(unused)
    return document


def require_bodies_checked_later(document: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    """A body ``access.body_checked_later`` declares is required, without a default (in place)."""
    for path, route, _ in api_routes(app.routes):
        if route.body_field is None or not is_checked_later(route.body_field.field_info):
            continue
        for method in route.methods or ():
            body = document["paths"][path][method.lower()]["requestBody"]
            body["required"] = True
            for content in body["content"].values():
                content["schema"].pop("default", None)
    return document


def install(app: FastAPI) -> None:
    """Have ``app.openapi()`` return the document with its error answers declared."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = require_bodies_checked_later(FastAPI.openapi(app), app)
            app.openapi_schema = add_error_responses(document, app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def allowed_methods(app: Any, scope: MutableMapping[str, Any]) -> list[str]:
    """The methods of every route whose path matches ``scope`` (empty when none does),
    through included routers too."""
    path = get_route_path(scope)
    routes: list[tuple[str, set[str]]] = [
        (full, set(route.methods or ())) for full, route, _ in api_routes(app.routes)
    ]
    routes += [
        (route.path, set(route.methods or ()))
        for route in app.routes
        if isinstance(route, Route) and not isinstance(route, APIRoute)
    ]
    methods: set[str] = set()
    for full, route_methods in routes:
        if compile_path(full)[0].match(path):
            methods |= route_methods
    return sorted(methods)
