"""The routers' order in ``backend.app.ROUTER_MODULES`` is for speed only (issue 17): FastAPI
takes the first route whose path matches, so that order may put the hot routers first only while
no path can match routes of two modules."""

from __future__ import annotations

import importlib
import itertools

from backend.app import ROUTER_MODULES


def _segments(path: str) -> list[str]:
    return path.strip("/").split("/")


def may_match_the_same_path(first: str, second: str) -> bool:
    """Whether some request path could match both templates: a ``{parameter}`` segment matches
    any one segment; a ``{name:path}`` one any number, so it is taken to match everything."""
    a, b = _segments(first), _segments(second)
    if any(":path}" in segment for segment in a + b):
        return True
    if len(a) != len(b):
        return False
    return all(x == y or x.startswith("{") or y.startswith("{") for x, y in zip(a, b, strict=True))


def test_the_overlap_check_sees_overlaps() -> None:
    assert may_match_the_same_path("/api/v1/visits/{visit_id}", "/api/v1/visits/summary")
    assert may_match_the_same_path("/files/{rest:path}", "/files/a/b")
    assert not may_match_the_same_path("/api/v1/visits/{visit_id}", "/api/v1/visits")
    assert not may_match_the_same_path("/api/v1/visits/{id}/forms", "/api/v1/tablet/{id}/forms")


def test_no_path_can_match_routes_of_two_router_modules() -> None:
    paths = {
        name: {route.path for route in importlib.import_module(name).router.routes}
        for name in ROUTER_MODULES
    }
    overlaps = [
        (first, a, second, b)
        for first, second in itertools.combinations(ROUTER_MODULES, 2)
        for a in paths[first]
        for b in paths[second]
        if may_match_the_same_path(a, b)
    ]
    assert overlaps == []
    assert len(set(ROUTER_MODULES)) == len(ROUTER_MODULES)
