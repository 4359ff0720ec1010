"""Each request tried against the routers that can hold its path, not against all of them.

FastAPI (0.165) keeps each ``include_router`` as one route of the app, an ``_IncludedRouter``,
and tries them in order: each one looks at its routes' versions and matches the path against
every route's pattern before the next router is tried. With 27 routers and ≈150 routes that
was ≈0.25 ms of the event loop a request, ≈8 ms a visit (issue 17's profile).

A route's path can only match a request path that starts with the route's text before its
first ``{parameter}``. ``install`` gives each included router those prefixes, and the router
answers "no match" at once to a path that starts with none of them; otherwise FastAPI matches
exactly as before (same order, same partial matches for a wrong method, same redirects). The
prefixes are computed again if the router's routes change after ``install``.

Relies on FastAPI's private ``_IncludedRouter``; without it (another FastAPI) ``install``
changes nothing and says so in the log, and ``tests/backend/test_route_gate.py`` fails.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope

log = logging.getLogger(__name__)

_IncludedRouter: Any = getattr(fastapi_routing, "_IncludedRouter", None)


def static_prefix(path: str) -> str:
    """The text every path a route matches starts with: its path before the first parameter."""
    return path.split("{", 1)[0]


def matched_route(context: Any) -> Any:
    """What FastAPI matches for one route of an included router: an ``APIRoute``'s context
    (its path with the prefix given to ``include_router``), else the Starlette route (a
    ``WebSocketRoute``, a ``Mount``: the context's own path and methods are empty for those)."""
    if isinstance(context.original_route, fastapi_routing.APIRoute):
        return context
    return context.starlette_route


def route_prefixes(included: Any) -> tuple[str, ...] | None:
    """The static prefixes of an included router's routes; None if one cannot be told (a
    route without a path, such as a ``Host``, or a router nested in it): never skipped."""
    if any(isinstance(route, _IncludedRouter) for route in included.original_router.routes):
        return None
    prefixes: set[str] = set()
    for context in included.effective_route_contexts():
        path = getattr(matched_route(context), "path", None)
        if not isinstance(path, str):
            return None
        prefixes.add(static_prefix(path))
    return tuple(sorted(prefixes))


if _IncludedRouter is not None:

    @dataclass
    class GatedRouter(_IncludedRouter):
        """An included router that first checks the path against its routes' prefixes."""

        prefixes: tuple[str, ...] | None = None
        prefixes_version: int = -1

        def refresh_prefixes(self) -> None:
            """The prefixes of the routes the router has now, unless already known."""
            if self.original_router._routes_version != self.prefixes_version:
                self.prefixes = route_prefixes(self)
                self.prefixes_version = self.original_router._routes_version

        def matches(self, scope: Scope) -> tuple[Match, Scope]:
            self.refresh_prefixes()  # routes added since install: look again
            if self.prefixes is not None and not get_route_path(scope).startswith(self.prefixes):
                return Match.NONE, {}
            match: tuple[Match, Scope] = super().matches(scope)
            return match


def install(app: FastAPI) -> int:
    """Gate each router included in ``app`` (call once all are included); the number gated."""
    if _IncludedRouter is None:
        log.info("route gate not installed: this FastAPI has no _IncludedRouter")
        return 0
    routes = app.router.routes
    gated = 0
    for index, route in enumerate(routes):
        if type(route) is not _IncludedRouter or not isinstance(
            getattr(getattr(route, "original_router", None), "_routes_version", None), int
        ):
            continue  # not the FastAPI this was written for: left as it is
        assert is_dataclass(route)
        copy = GatedRouter(**{field.name: getattr(route, field.name) for field in fields(route)})
        copy.refresh_prefixes()
        routes[index] = copy
        gated += 1
    return gated
