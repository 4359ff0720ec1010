"""The hot lane (backend.platform.hot_lane): the hot routes run without FastAPI's routing and
dependency solving, and every answer is the one FastAPI gives without the lane (the same
status, headers and bytes), refusals included; anything the lane would not take as FastAPI
does is left to FastAPI."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, FastAPI, Path, Request
from fastapi import routing as fastapi_routing
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy.orm import Session

from backend.app import create_app
from backend.platform import hot_lane
from backend.platform.access import (
    NOT_SENT,
    Permission,
    body_checked_later,
    checked,
    hot_route,
    query_checked_later,
)
from backend.seed import seed_demo


class Shape(BaseModel):
    name: str
    count: int = 1


class Item(BaseModel):
    id: str
    name: str
    count: int
    wait: object = None


def _demo_app(*, lane: bool) -> FastAPI:
    """Hot routes shaped as the project's (``request``, text path parameters, a query and a
    body checked later), a plain route declared before one of them, and a plain one after."""
    app = FastAPI()

    async def legacy(request: Request) -> PlainTextResponse:
        return PlainTextResponse("legacy")

    # A plain Starlette route in a router included first, on the hot route's paths: FastAPI
    # tries it first. (``add_route`` takes no router prefix: its path is written whole.)
    older = APIRouter()
    older.add_route("/api/items/legacy", legacy, methods=["GET"])
    app.include_router(older)
    router = APIRouter(prefix="/api")

    @router.get("/items/special")
    def special() -> dict[str, str]:
        return {"route": "special"}

    @router.get("/items/{item_id}", response_model=Item)
    @hot_route(Permission.VISIT_READ)
    async def read(
        item_id: str, request: Request, wait: Annotated[object, query_checked_later(int)] = 0
    ) -> Item:
        if item_id == "missing":
            raise LookupError(item_id)
        return Item(id=item_id, name=request.url.path, count=0, wait=wait)

    @router.post("/items/{item_id}", response_model=Item, status_code=201)
    @hot_route(Permission.VISIT_WRITE)
    async def write(
        item_id: str,
        request: Request,
        body: Annotated[object, body_checked_later(Shape)] = NOT_SENT,
    ) -> Item:
        shape = checked(Shape, body)
        return Item(id=item_id, name=shape.name, count=shape.count)

    @router.get("/codes/{code}", response_model=Item)
    @hot_route(Permission.VISIT_READ)
    async def by_code(code: Annotated[str, Path(min_length=3)], request: Request) -> Item:
        return Item(id=code, name="code", count=len(code))

    @router.delete("/items/{item_id}", status_code=204)
    @hot_route(Permission.VISIT_WRITE)
    async def remove(item_id: str, request: Request) -> None:
        return None

    app.include_router(router)

    @app.exception_handler(LookupError)
    async def not_found(request: Request, exc: LookupError) -> Any:
        from fastapi.responses import JSONResponse

        return JSONResponse({"error": {"code": "not_found"}}, status_code=404)

    if lane:
        hot_lane.install(app)
    return app


@pytest.fixture
def solved(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths FastAPI solved dependencies for (its own way through a route)."""
    seen: list[str] = []
    solve = fastapi_routing.solve_dependencies

    async def counting(*, request: Request, **kwargs: Any) -> Any:
        seen.append(request.url.path)
        return await solve(request=request, **kwargs)

    monkeypatch.setattr(fastapi_routing, "solve_dependencies", counting)
    yield seen


def _answer(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    return response.status_code, sorted(response.headers.items()), response.content


REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/api/items/a1", {}),
    ("GET", "/api/items/a1?wait=5", {}),
    ("GET", "/api/items/a1?wait=5&wait=6", {}),
    ("GET", "/api/items/%E7%AA%93", {}),
    ("GET", "/api/items/special", {}),
    ("GET", "/api/items/legacy", {}),
    ("GET", "/api/items/missing", {}),
    ("GET", "/api/items/a1/", {}),
    ("HEAD", "/api/items/a1", {}),
    ("PUT", "/api/items/a1", {}),
    ("POST", "/api/items/a1", {"json": {"name": "窓口", "count": 2}}),
    ("POST", "/api/items/a1", {"json": {"name": 3}}),
    ("POST", "/api/items/a1", {"json": [1]}),
    ("POST", "/api/items/a1", {}),
    (
        "POST",
        "/api/items/a1",
        {"content": b"{not json", "headers": {"content-type": "application/json"}},
    ),
    (
        "POST",
        "/api/items/a1",
        {"content": b'{"name": "x"}', "headers": {"content-type": "text/plain"}},
    ),
    (
        "POST",
        "/api/items/a1",
        {"content": b'{"name": "x"}', "headers": {"content-type": "application/vnd.x+json"}},
    ),
    ("POST", "/api/items/a1", {"content": b'{"name": "x"}'}),
    ("DELETE", "/api/items/a1", {}),
    ("GET", "/api/codes/abc", {}),
    ("GET", "/api/codes/ab", {}),  # a path parameter with a constraint: validated, 422
]


@pytest.mark.parametrize(("method", "url", "options"), REQUESTS)
def test_every_answer_is_the_one_fastapi_gives_without_the_lane(
    method: str, url: str, options: dict[str, Any]
) -> None:
    with_lane = TestClient(_demo_app(lane=True)).request(method, url, **options)
    without = TestClient(_demo_app(lane=False)).request(method, url, **options)
    assert _answer(with_lane) == _answer(without)


def _chunks(*parts: bytes) -> Iterator[bytes]:
    yield from parts


@pytest.mark.parametrize(
    ("parts", "status"),
    [((b'{"name": "in ', b'parts", "count": 3}'), 201), ((b'{"name": ', b"oops"), 422)],
    ids=["whole", "refused"],
)
def test_a_body_sent_in_chunks_is_read_whole_and_handed_on_whole(
    parts: tuple[bytes, ...], status: int
) -> None:
    """A body in several messages: the lane reads all of it; refused, FastAPI gets all of it."""
    answers = [
        TestClient(_demo_app(lane=lane)).post(
            "/api/items/c3", content=_chunks(*parts), headers={"content-type": "application/json"}
        )
        for lane in (True, False)
    ]
    assert _answer(answers[0]) == _answer(answers[1])
    assert answers[0].status_code == status
    if status == 201:
        assert answers[0].json()["name"] == "in parts"


def test_the_lane_runs_a_hot_route_without_fastapis_dependency_solving(solved: list[str]) -> None:
    client = TestClient(_demo_app(lane=True))
    assert client.get("/api/items/a1?wait=3").json() == {
        "id": "a1",
        "name": "/api/items/a1",
        "count": 0,
        "wait": "3",
    }
    created = client.post("/api/items/b2", json={"name": "n", "count": 4})
    assert (created.status_code, created.json()["count"]) == (201, 4)
    assert client.delete("/api/items/b2").status_code == 204
    assert solved == []


def test_what_the_lane_would_refuse_or_an_earlier_route_takes_is_left_to_fastapi(
    solved: list[str],
) -> None:
    client = TestClient(_demo_app(lane=True))
    assert client.get("/api/items/special").json() == {"route": "special"}  # declared first
    assert client.get("/api/items/legacy").text == "legacy"  # a Starlette route, first too
    bad_json = client.post(
        "/api/items/a1", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert bad_json.status_code == 422
    other_type = client.post(
        "/api/items/a1", content=b'{"name": "x"}', headers={"content-type": "text/plain"}
    )
    assert other_type.status_code == 422  # the body taken by FastAPI's rules, read once
    # FastAPI refuses JSON it cannot parse before it solves anything: one a1, the text/plain.
    assert solved == ["/api/items/special", "/api/items/a1"]


def test_the_app_puts_the_hot_routes_a_visit_calls_in_the_lane() -> None:
    app = create_app()
    lane = app.router.middleware_stack
    assert isinstance(lane, hot_lane.HotLane)
    taken = {
        (method, route.context.path) for method, group in lane.routes.items() for route in group
    }
    for call in [
        ("PATCH", "/api/v1/visits/{visit_id}"),
        ("GET", "/api/v1/visits/{visit_id}/with-guidance"),
        ("POST", "/api/v1/visits/{visit_id}/answers"),
        ("GET", "/api/v1/visits/{visit_id}/forms/{form}/preview"),
        ("GET", "/api/v1/tablet/current"),
        ("GET", "/api/v1/agent/jobs/{job_id}"),
        ("POST", "/api/v1/tickets"),
        ("POST", "/api/v1/visits/{visit_id}/handoff"),
    ]:
        assert call in taken, call


def test_the_real_routes_answer_the_same_with_and_without_the_lane(
    client: TestClient, db: Session
) -> None:
    """Anonymous, refused and unknown requests to the app's hot routes: the same answers as
    FastAPI's own way gives (the app's error shape, 401 before 422, 404 for an unknown visit)."""
    seed_demo(db)
    plain_app = create_app()
    lane = plain_app.router.middleware_stack
    assert isinstance(lane, hot_lane.HotLane)
    plain_app.router.middleware_stack = lane.app
    plain_app.dependency_overrides = client.app.dependency_overrides  # type: ignore[attr-defined]
    plain = TestClient(plain_app)
    for method, url, options, status in [
        ("GET", "/api/v1/visits/v-none/with-guidance", {}, 401),
        ("GET", "/api/v1/visits/v-none/with-guidance?documents=maybe", {}, 401),
        ("PATCH", "/api/v1/visits/v-none", {"json": {"new_address": "x"}}, 401),
        # JSON that cannot be parsed is FastAPI's 422, before any caller is looked at.
        ("PATCH", "/api/v1/visits/v-none", {"content": b"{", "headers": JSON}, 422),
        ("GET", "/api/v1/tablet/current?wait=abc", {}, 422),  # its wait: checked by FastAPI
        ("POST", "/api/v1/tickets", {"json": {"queue_id": "q-none"}}, 401),
        ("GET", "/api/v1/visits/v-none/forms/moving_in/preview", {}, 401),
    ]:
        a = client.request(method, url, **options)
        b = plain.request(method, url, **options)
        assert (a.status_code, a.content) == (b.status_code, b.content), (method, url)
        assert a.status_code == status, a.text


JSON = {"content-type": "application/json"}
