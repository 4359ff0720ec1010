"""The short way through the framework for the hot routes every visit calls.

A request to a hot route (``access.hot_route``) already authenticates, checks its permission
and validates its body and query inside ``run_authorized``. FastAPI (0.165) adds per request
matching the path router by router, ``solve_dependencies`` (which parses the cookies and
builds a spare response for every request; 7.6 ms of the event loop's GIL time a visit at 64
counters) and the request and telemetry wrappers. The lane matches a hot route's path itself,
takes its path, query and body values with FastAPI's own functions, calls the endpoint, and
serializes the answer with FastAPI's own ``serialize_response``: the same bytes, headers and
status.

Anything unusual is left to FastAPI, untouched: a request the lane's checks would refuse (a
query or body FastAPI would answer with 422, a body that is not JSON), a path an earlier
route could also take, a HEAD, FastAPI's telemetry switched on. The body read is handed on
as sent. So every refusal and every error comes from the one place it came from before.

Sits inside the exception middleware (``app.router.middleware_stack``): an endpoint's error
goes to the same handlers. Built from the routes present at ``install``; a route added to
the app later comes after them, so it could never take their paths.

Relies on FastAPI's private ``_IncludedRouter`` and effective route contexts; without them
``install`` changes nothing and says so, and ``tests/backend/test_hot_lane.py`` fails.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi._compat import Undefined
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.utils import request_body_to_args, request_params_to_args
from fastapi.exceptions import EndpointContext
from fastapi.utils import is_body_allowed_for_status_code
from starlette._utils import get_route_path
from starlette.convertors import StringConvertor
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.platform.access import is_checked_later
from backend.platform.route_gate import matched_route, static_prefix

log = logging.getLogger(__name__)

_IncludedRouter: Any = getattr(fastapi_routing, "_IncludedRouter", None)
# Set by FastAPI's telemetry middleware when telemetry is on: then FastAPI's own path, which
# reports the route and its operations.
_TELEMETRY_SCOPE_KEY = "fastapi.telemetry"


class _Refused(Exception):
    """The lane will not take this request: FastAPI answers it as it always did."""


@dataclass(frozen=True)
class LaneRoute:
    """A hot route as the lane runs it (``context``: FastAPI's effective route context)."""

    context: Any
    prefix: str
    path_regex: re.Pattern[str]
    # Earlier routes whose paths could be the same: if one matches, FastAPI's order decides.
    shadowed_by: tuple[re.Pattern[str], ...]
    status_code: int | None
    # Every path parameter a plain ``str`` by its own name: the text the pattern matched is its
    # value as FastAPI would validate it (a third of the lane's own work when validated).
    plain_path_params: bool
    endpoint_contexts: dict[tuple[str, str], EndpointContext] = field(default_factory=dict)

    def match(self, path: str) -> dict[str, str] | None:
        if not path.startswith(self.prefix):
            return None
        found = self.path_regex.match(path)
        if found is None or any(earlier.match(path) for earlier in self.shadowed_by):
            return None
        return found.groupdict()


class HotLane:
    """ASGI app in front of the router: hot routes by the lane, the rest by ``app``."""

    def __init__(self, app: ASGIApp, routes: dict[str, tuple[LaneRoute, ...]]) -> None:
        self.app = app
        self.routes = routes  # by method

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get(_TELEMETRY_SCOPE_KEY) is None:
            found = self._find(scope)
            if found is not None:
                left_to_fastapi = await self._run(*found, scope, receive, send)
                if left_to_fastapi is None:
                    return
                receive = left_to_fastapi
        await self.app(scope, receive, send)

    def _find(self, scope: Scope) -> tuple[LaneRoute, dict[str, str]] | None:
        candidates = self.routes.get(scope["method"])
        if not candidates:
            return None
        path = get_route_path(scope)
        for route in candidates:
            params = route.match(path)
            if params is not None:
                return route, params
        return None

    async def _run(
        self,
        route: LaneRoute,
        path_params: dict[str, str],
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> Receive | None:
        """Answer the request; or, refused before the endpoint ran, the ``receive`` FastAPI
        must read it with (the body already read handed on as sent)."""
        context = route.context
        dependant = context.dependant
        chosen = {"endpoint": context.endpoint, "path_params": path_params}
        scope.update(chosen, route=context.original_route)
        request = Request(scope, receive, send)
        body = b""
        try:
            values: dict[str, Any] = (
                dict(path_params)
                if route.plain_path_params
                else _checked(request_params_to_args(dependant.path_params, path_params))
            )
            if dependant.query_params:
                query = QueryParams(scope["query_string"])
                values.update(_checked(request_params_to_args(dependant.query_params, query)))
            if dependant.body_params:
                body = await request.body()
                values.update(await _body_values(request, body, context))
        except _Refused:
            for key in (*chosen, "route"):
                scope.pop(key, None)  # FastAPI matches the route itself
            return _replaying(body, receive) if body else receive
        values[dependant.request_param_name] = request
        raw = await dependant.call(**values)
        if isinstance(raw, Response):
            await raw(scope, receive, send)
        else:
            await (await _serialized(route, raw, scope))(scope, receive, send)
        return None


def _checked(result: tuple[dict[str, Any], list[Any]]) -> dict[str, Any]:
    values, errors = result
    if errors:
        raise _Refused
    return values


async def _body_values(request: Request, body: bytes, context: Any) -> dict[str, Any]:
    """The body's values as FastAPI takes them, for a JSON body or none."""
    if not body:
        received: Any = Undefined  # as FastAPI: the body parameter's default
    elif _is_json(request.headers.get("content-type")):
        try:
            received = json.loads(body)
        except ValueError as exc:  # FastAPI's 422 json_invalid
            raise _Refused from exc
    else:
        raise _Refused  # FastAPI's own rules for other content types
    return _checked(
        await request_body_to_args(
            body_fields=context.dependant.body_params,
            received_body=received,
            embed_body_fields=context._embed_body_fields,
        )
    )


def _is_json(content_type: str | None) -> bool:
    return (
        content_type is not None
        and content_type.split(";", 1)[0].strip().lower() == "application/json"
    )


def _replaying(body: bytes, receive: Receive) -> Receive:
    """``receive`` as if the body had not been read."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


async def _serialized(route: LaneRoute, raw: Any, scope: Scope) -> Response:
    """As FastAPI answers an endpoint's return value (``get_request_handler``): with a
    response model and the default class its ``dump_json``, else the route's class."""
    context = route.context
    response_class = context.response_class
    dump_json = context.response_field is not None and isinstance(
        response_class, DefaultPlaceholder
    )
    content = await fastapi_routing.serialize_response(
        field=context.response_field,
        response_content=raw,
        include=context.response_model_include,
        exclude=context.response_model_exclude,
        by_alias=context.response_model_by_alias,
        exclude_unset=context.response_model_exclude_unset,
        exclude_defaults=context.response_model_exclude_defaults,
        exclude_none=context.response_model_exclude_none,
        is_coroutine=True,
        endpoint_ctx=_endpoint_context(route, scope),
        dump_json=dump_json,
    )
    status_code = route.status_code or 200
    response = (
        Response(content=content, media_type="application/json", status_code=status_code)
        if dump_json
        else _class_of(response_class)(content, status_code=status_code)
    )
    if not is_body_allowed_for_status_code(response.status_code):
        response.body = b""
    return response


def _class_of(response_class: Any) -> type[Response]:
    value = (
        response_class.value if isinstance(response_class, DefaultPlaceholder) else response_class
    )
    return value if isinstance(value, type) and issubclass(value, Response) else JSONResponse


# --- which routes the lane takes ------------------------------------------------------------


def _contexts_in_order(app: FastAPI) -> Iterator[tuple[Any, Any]]:
    """(route or context, its path or None) in the order FastAPI tries them."""
    for route in app.router.routes:
        if isinstance(route, _IncludedRouter):
            for context in route.effective_route_contexts():
                matched = matched_route(context)
                yield matched, getattr(matched, "path", None)
        else:
            yield route, getattr(route, "path", None)


def _lane_fits(context: Any) -> bool:
    """A hot route whose every input the lane can take as FastAPI does: path parameters as
    text, a ``request``, query parameters and at most one JSON body, no dependencies."""
    if not isinstance(getattr(context, "original_route", None), fastapi_routing.APIRoute):
        return False
    dependant = context.dependant
    call = dependant.call
    return (
        getattr(context.endpoint, "permission", None) is not None
        and fastapi_routing._is_coroutine_callable(call)
        and not fastapi_routing._is_gen_callable(call)
        and not fastapi_routing._is_async_gen_callable(call)
        and dependant.request_param_name is not None
        and not (dependant.dependencies or dependant.header_params or dependant.cookie_params)
        and dependant.websocket_param_name is None
        and dependant.response_param_name is None
        and dependant.background_tasks_param_name is None
        and dependant.security_scopes_param_name is None
        and len(dependant.body_params) <= 1
        and all(is_checked_later(field.field_info) for field in dependant.body_params)
        and all(isinstance(c, StringConvertor) for c in context.param_convertors.values())
        and getattr(context, "max_body_size", None) is None
        and not (context.is_sse_stream or context.is_json_stream)
    )


def lane_routes(app: FastAPI) -> dict[str, tuple[LaneRoute, ...]]:
    """The app's hot routes the lane can take, by method, each with the earlier routes that
    could take the same paths first."""
    by_method: dict[str, list[LaneRoute]] = {}
    earlier: list[tuple[Any, str | None]] = []
    for candidate, path in _contexts_in_order(app):
        if path is not None and _lane_fits(candidate):
            shadows = _shadows(candidate, path, earlier)
            if shadows is not None:
                route = LaneRoute(
                    context=candidate,
                    prefix=static_prefix(path),
                    path_regex=candidate.path_regex,
                    shadowed_by=shadows,
                    status_code=candidate.status_code,
                    plain_path_params=all(map(_plain_text, candidate.dependant.path_params)),
                )
                for method in candidate.methods - {"HEAD"}:
                    by_method.setdefault(method, []).append(route)
        earlier.append((candidate, path))
    return {method: tuple(routes) for method, routes in by_method.items()}


def _plain_text(param: Any) -> bool:
    """A parameter declared ``name: str``, nothing more (no alias, no constraint)."""
    info = param.field_info
    return bool(
        info.annotation is str
        and not info.metadata
        and param.alias == param.name
        and info.validation_alias is None
    )


def _shadows(
    context: Any, path: str, earlier: list[tuple[Any, str | None]]
) -> tuple[re.Pattern[str], ...] | None:
    """The patterns of the earlier routes that could match this route's paths for one of its
    methods; None (not in the lane) if one of them cannot be told by its pattern."""
    prefix = static_prefix(path)
    found: list[re.Pattern[str]] = []
    for route, other_path in earlier:
        if other_path is None:
            return None
        other = static_prefix(other_path)
        if not (other.startswith(prefix) or prefix.startswith(other)):
            continue
        methods = getattr(route, "methods", None)
        if methods is not None and not (set(methods) & context.methods):
            continue  # a partial match only: a full match later still wins
        pattern = getattr(route, "path_regex", None)
        if pattern is None:
            return None
        found.append(pattern)
    return tuple(found)


def _endpoint_context(route: LaneRoute, scope: Scope) -> EndpointContext:
    """What FastAPI names in a response validation error (as ``get_request_handler``), made
    once per method and mount path (FastAPI reads the endpoint's source for it)."""
    key = (scope["method"], scope.get("root_path", "").rstrip("/"))
    found = route.endpoint_contexts.get(key)
    if found is None:
        dependant = route.context.dependant
        found = EndpointContext(**fastapi_routing._extract_endpoint_context(dependant.call))
        if dependant.path:
            found["path"] = f"{key[0]} {key[1]}{dependant.path}"
        route.endpoint_contexts[key] = found
    return found


def install(app: FastAPI) -> int:
    """Put the lane in front of ``app``'s router (after every router is included); the number
    of hot routes it takes."""
    if _IncludedRouter is None:
        log.info("hot lane not installed: this FastAPI has no _IncludedRouter")
        return 0
    routes = lane_routes(app)
    app.router.middleware_stack = HotLane(app.router.middleware_stack, routes)
    return len({id(route) for group in routes.values() for route in group})
