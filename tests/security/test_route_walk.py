"""Every route of the OpenAPI × anonymous, every staff role, every device kind, aimed at another
municipality's objects. Generic on purpose: routers merged later are walked too.

Expectations per route:
- public (``PUBLIC``): no 5xx for anyone;
- anything else anonymous: 401;
- a principal lacking the route's permission: 403 (401 for a staff route a device calls);
- a principal holding it, path filled with the foreign tenant's ids: 404 (or 422 when the
  generated body does not validate — it never reaches data);
- a principal holding it, no path parameters: no 5xx, and nothing of the foreign tenant in
  the answer.
Never 2xx for a foreign object, never 5xx.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from security_world import Caller, World

from backend.platform.access import DEVICE_PERMISSIONS, ROLE_PERMISSIONS, Permission
from backend.platform.access_matrix import route_permissions

# Routes anyone may call (health, schemas, logging in, pairing, a resident following a ticket).
PUBLIC: set[tuple[str, str]] = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/api/v1/schemas/visit.json"),
    ("GET", "/api/v1/schemas/handoff.json"),
    ("GET", "/api/v1/schemas/lists.json"),
    ("POST", "/api/v1/auth/login"),
    ("GET", "/api/v1/auth/oidc/callback"),
    ("GET", "/api/v1/auth/oidc/{tenant_code}/login"),
    ("POST", "/api/v1/devices/pair"),
    # the phone page: the unguessable follow token is the credential (tests/backend/queue)
    ("GET", "/api/v1/follow/{token}"),
    ("GET", "/api/v1/follow/{token}/events"),
    ("GET", "/api/v1/follow/{token}/qr.svg"),
    # the pre-entry and reservation page: scoped by the municipality's code, off unless the
    # municipality turns it on, writes rate-limited (tests/backend/residents)
    ("GET", "/api/v1/public/{tenant_code}/setup"),
    ("GET", "/api/v1/public/{tenant_code}/areas"),
    ("POST", "/api/v1/public/{tenant_code}/guidance"),
    ("POST", "/api/v1/public/{tenant_code}/preentries"),
    ("GET", "/api/v1/public/{tenant_code}/slots"),
    ("POST", "/api/v1/public/{tenant_code}/reservations"),
    ("POST", "/api/v1/public/{tenant_code}/reservations/cancel"),
}
# Routes for any authenticated caller, guarded by CurrentStaff / CurrentDevice, no permission.
AUTHENTICATED: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/auth/me"): "staff",
    ("POST", "/api/v1/auth/logout"): "staff",
    ("GET", "/api/v1/devices/me"): "device",
}
# Server-sent event streams check their permission inside (a stream holds no session) and, once
# allowed, never end: the walk only checks that an anonymous caller is refused. Their own
# tests (tests/backend/queue, tests/e2e) cover the allowed and the wrong-device cases.
STREAMS: set[tuple[str, str]] = {
    ("GET", "/api/v1/board/events"),
    ("GET", "/api/v1/follow/{token}/events"),
}
# Run last for each caller: they end the caller's session.
LAST = {("POST", "/api/v1/auth/logout")}
METHODS = ("get", "post", "put", "patch", "delete")


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def example(schema: dict[str, Any], spec: dict[str, Any], depth: int = 0) -> Any:
    """A minimal value that satisfies simple schemas (required fields only)."""
    schema = _resolve(schema, spec)
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            options = [s for s in schema[combinator] if _resolve(s, spec).get("type") != "null"]
            return example(options[0] if options else {}, spec, depth + 1)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {
            name: example(props[name], spec, depth + 1)
            for name in schema.get("required", [])
            if name in props and depth < 8
        }
    if kind == "array":
        return [example(schema.get("items", {}), spec, depth + 1)] if schema.get("minItems") else []
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return "2026-11-24"
    if schema.get("format") == "date-time":
        return "2026-11-24T09:00:00+09:00"
    if "pattern" in schema and schema["pattern"] in (r"^\d{6}$", "^\\d{6}$"):
        return "992003"
    return "x" * max(1, schema.get("minLength", 1))


def fill_path(path: str, ids: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        stem = name.removesuffix("_id")
        return ids.get(name) or ids.get(stem) or ids["visit"]

    return re.sub(r"\{([^}]+)\}", value, path)


def request_parts(operation: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    parts: dict[str, Any] = {}
    query = {
        p["name"]: example(p.get("schema", {}), spec)
        for p in operation.get("parameters", [])
        if p.get("in") == "query" and p.get("required")
    }
    if query:
        parts["params"] = query
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        parts["json"] = example(content["application/json"].get("schema", {}), spec)
    elif content:
        parts["data"] = {}
    return parts


def permitted(caller: Caller, permission: Permission) -> bool:
    if caller.role is not None:
        return permission in ROLE_PERMISSIONS[caller.role]
    assert caller.kind is not None
    return permission in DEVICE_PERMISSIONS[caller.kind]


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = [
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]
    return sorted(found, key=lambda op: ((op[0], op[1]) in LAST, op[1], op[0]))


def test_every_route_refuses_what_it_should(client: TestClient, world: World) -> None:
    problems, walked = walk_problems(client, world)
    assert not problems, "\n".join(problems)
    assert walked >= len(world.callers) * 5


def walk_problems(client: TestClient, world: World) -> tuple[list[str], int]:
    spec = client.app.openapi()  # type: ignore[attr-defined]
    permissions = route_permissions(client.app)  # type: ignore[arg-type]
    problems: list[str] = []
    walked = 0
    for method, path, operation in operations(spec):
        key = (method, path)
        url = fill_path(path, world.foreign_ids)
        parts = request_parts(operation, spec)
        if key in STREAMS and key in PUBLIC:
            continue  # a public stream with a valid token never ends; its own tests cover it
        if key in PUBLIC:
            response = client.request(method, url, **parts)
            if response.status_code >= 500:
                problems.append(f"{method} {path} public: {response.status_code}")
            continue
        permission = permissions.get(key)
        if permission is None and key not in AUTHENTICATED:
            problems.append(
                f"{method} {path}: no require(Permission.…) dependency and not listed as "
                "PUBLIC or AUTHENTICATED in this test"
            )
            continue
        anonymous = client.request(method, url, **parts)
        if anonymous.status_code != 401:
            problems.append(f"{method} {path} anonymous: {anonymous.status_code}, want 401")
        if key in STREAMS:
            continue
        for caller in world.callers:
            walked += 1
            response = client.request(method, url, headers=caller.headers, **parts)
            problem = judge(caller, key, permission, path, response, world)
            if problem:
                problems.append(f"{method} {path} as {caller.label}: {problem}")
    return problems, walked


def judge(
    caller: Caller,
    key: tuple[str, str],
    permission: Permission | None,
    path: str,
    response: Any,
    world: World,
) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if permission is None:  # AUTHENTICATED route
        kind = AUTHENTICATED[key]
        if (kind == "staff") != (caller.role is not None):
            return None if status in (401, 403) else f"{status}, want 401/403"
    elif not permitted(caller, permission):
        return None if status in (401, 403) else f"{status}, want 403 (lacks {permission.value})"
    elif "{" in path:
        if status == 404:
            return None
        if status == 422 and "body" in response.text:
            return None
        return f"{status} for another tenant's object, want 404"
    if permission is Permission.TENANT_MANAGE:
        # The operator's tenant list spans the deployment by design: codes and names of
        # municipalities, no one's personal data.
        return None
    leaked = [s for s in world.sentinels if s in response.text]
    return f"response shows the other tenant's data: {leaked}" if leaked else None


def test_the_walk_itself_catches_an_unguarded_route(client: TestClient, world: World) -> None:
    """A route with no permission must make the walk fail (the test can fail)."""
    from fastapi import APIRouter

    router = APIRouter()

    @router.get("/api/v1/unguarded/{visit_id}")
    def unguarded(visit_id: str) -> dict[str, str]:
        return {"visit_id": visit_id}

    app = client.app
    app.include_router(router)  # type: ignore[attr-defined]
    # Before the static mount at "/", which would otherwise answer first.
    app.router.routes.insert(0, app.router.routes.pop())  # type: ignore[attr-defined]
    app.openapi_schema = None  # type: ignore[attr-defined]
    try:
        spec = app.openapi()  # type: ignore[attr-defined]
        permissions = route_permissions(app)  # type: ignore[arg-type]
        assert ("GET", "/api/v1/unguarded/{visit_id}") not in PUBLIC
        assert permissions[("GET", "/api/v1/unguarded/{visit_id}")] is None
        assert "/api/v1/unguarded/{visit_id}" in spec["paths"]
        problems, _ = walk_problems(client, world)
        assert any("/api/v1/unguarded/{visit_id}: no require" in p for p in problems)
    finally:
        app.router.routes.pop(0)  # type: ignore[attr-defined]
        app.openapi_schema = None  # type: ignore[attr-defined]
