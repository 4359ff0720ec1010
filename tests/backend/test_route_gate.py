"""The route gate (backend.platform.route_gate): a request is tried only against the routers
whose routes' prefixes its path starts with, and FastAPI answers exactly as without it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Match

from backend.app import create_app
from backend.platform import route_gate


@pytest.fixture
def router_matches(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The routers FastAPI matched a path against, by their first route's path."""
    tried: list[str] = []
    match = route_gate._IncludedRouter._match

    def counting(self: object, scope: dict[str, object]) -> object:
        tried.append(self.original_router.routes[0].path)  # type: ignore[attr-defined]
        return match(self, scope)

    monkeypatch.setattr(route_gate._IncludedRouter, "_match", counting)
    yield tried


def test_every_router_of_the_app_is_gated_with_the_prefixes_of_its_routes() -> None:
    app = create_app()
    included = [r for r in app.router.routes if isinstance(r, route_gate._IncludedRouter)]
    assert len(included) >= 27
    assert all(isinstance(r, route_gate.GatedRouter) and r.prefixes for r in included)
    tablet = next(r for r in included if r.original_router.prefix == "/api/v1/tablet")
    assert tablet.prefixes is not None and "/api/v1/tablet/current" in tablet.prefixes


def test_a_path_is_matched_only_against_the_routers_that_can_hold_it(
    router_matches: list[str],
) -> None:
    """Before the gate, a request to the last router's route was matched against all 27."""
    client = TestClient(create_app())
    assert client.get("/api/v1/journey/not-a-route").status_code == 404
    router_matches.clear()
    assert client.get("/api/v1/public/no-such-city/setup").status_code == 404  # its answer
    # The last of 27 routers, alone (FastAPI matches the chosen router twice: to find it, and
    # again as it hands the request over).
    assert set(router_matches) == {"/api/v1/public/{tenant_code}/setup"}


def test_answers_are_the_same_with_and_without_the_gate() -> None:
    """A wrong method still gives 405 with the path's methods; an unknown path 404; a known
    public one its answer; the screens' static files are still served under the routers."""
    gated = TestClient(create_app())
    plain_app = create_app()
    plain_app.router.routes[:] = [
        _ungated(route) if isinstance(route, route_gate.GatedRouter) else route
        for route in plain_app.router.routes
    ]
    plain = TestClient(plain_app)
    for method, path in [
        ("GET", "/healthz"),
        ("DELETE", "/healthz"),
        ("GET", "/api/v1/no-such-thing"),
        ("GET", "/api/v1/visits/unknown-visit"),
        ("PUT", "/api/v1/tablet/current"),
        ("GET", "/staff/"),
        ("GET", "/openapi.json"),
    ]:
        a, b = gated.request(method, path), plain.request(method, path)
        assert (a.status_code, a.headers.get("allow"), a.content) == (
            b.status_code,
            b.headers.get("allow"),
            b.content,
        ), (method, path)


def test_a_route_added_after_the_gate_is_found() -> None:
    app = FastAPI()
    router = APIRouter(prefix="/api")

    @router.get("/first")
    def first() -> dict[str, str]:
        return {"route": "first"}

    app.include_router(router)
    assert route_gate.install(app) == 1
    client = TestClient(app)
    assert client.get("/api/first").json() == {"route": "first"}
    assert client.get("/later/second").status_code == 404

    @router.get("/later/second", include_in_schema=False)
    def second() -> dict[str, str]:
        return {"route": "second"}

    # An APIRouter's own prefix applies to the route added to it: /api/later/second.
    assert client.get("/api/later/second").json() == {"route": "second"}


def test_a_router_whose_paths_cannot_be_told_is_never_skipped() -> None:
    app = FastAPI()
    outer, inner = APIRouter(), APIRouter()

    @inner.get("/inner")
    def inside() -> dict[str, bool]:
        return {"inside": True}

    outer.include_router(inner, prefix="/nested")
    app.include_router(outer)
    route_gate.install(app)
    gate = app.router.routes[-1]
    assert isinstance(gate, route_gate.GatedRouter) and gate.prefixes is None
    scope = {"type": "http", "path": "/nested/inner", "method": "GET", "root_path": ""}
    assert gate.matches(scope)[0] is not Match.NONE
    assert TestClient(app).get("/nested/inner").json() == {"inside": True}


def _ungated(route: route_gate.GatedRouter) -> object:
    from dataclasses import fields

    kept = {field.name for field in fields(route_gate._IncludedRouter)}
    return route_gate._IncludedRouter(
        **{name: getattr(route, name) for name in kept}  # the same router, without the gate
    )
