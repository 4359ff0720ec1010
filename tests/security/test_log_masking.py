"""No personal data in any log line: SQL parameters, uvicorn's copies, query strings.

A 500 used to print the statement's parameters (names, addresses, phone, a 12-digit number) in
its traceback, twice: once through the app's logger, once, unfiltered, through uvicorn's. The
access log wrote GET query strings (a resident lookup's name and address, a kiosk token).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError
from security_logscan import scan_sql_and_queries
from security_world import login
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from backend.platform.logging_setup import UVICORN_LOGGERS, MaskPersonalDataFilter
from backend.seed import seed_demo

NAME = "窓口　次郎"  # synthetic (tests/data/synthetic-personal-data.txt)
ADDRESS = "デモ県窓口デモ市本町１－２－３"
NUMBER = "123456789018"
PHONE = "090-1234-5678"


def _failing_insert(engine: Engine) -> DBAPIError:
    with engine.connect() as conn, pytest.raises(DBAPIError) as caught:
        conn.execute(
            text(
                "INSERT INTO no_such_table (name, address, number, phone) VALUES (:n, :a, :i, :p)"
            ),
            {"n": NAME, "a": ADDRESS, "i": NUMBER, "p": PHONE},
        )
    return caught.value


def test_database_errors_carry_no_parameters(engine: Engine) -> None:
    message = str(_failing_insert(engine))
    assert "[SQL:" in message  # the statement stays, with placeholders
    for value in (NAME, ADDRESS, NUMBER, PHONE, "[parameters:"):
        assert value not in message


def _through_filter(logger_name: str, *args: Any, exc: BaseException | None = None) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskPersonalDataFilter())
    record = logging.LogRecord(logger_name, logging.ERROR, __file__, 1, args[0], args[1:], None)
    if exc is not None:
        record.exc_info = (type(exc), exc, exc.__traceback__)
    handler.handle(record)
    return stream.getvalue()


def test_filter_removes_sql_parameter_dumps_from_tracebacks() -> None:
    # An engine of someone else's making (no hide_parameters): the filter still hides them.
    error = _failing_insert(create_engine("sqlite://"))
    assert ADDRESS in str(error)  # the dump the filter must remove
    logged = _through_filter("app", "boom", exc=error)
    assert "[SQL parameters hidden]" in logged
    detail = "duplicate key\nDETAIL:  Key (name)=(窓口　次郎) already exists.\n[SQL: INSERT …]"
    logged += _through_filter("app", "boom", exc=RuntimeError(detail))
    logged += _through_filter("app", "boom", exc=_validation_error())
    for value in (NAME, ADDRESS, NUMBER, PHONE, "[parameters:"):
        assert value not in logged
    assert scan_sql_and_queries(logged) == []


def _validation_error() -> ValidationError:
    class Resident(BaseModel):
        address: int

    with pytest.raises(ValidationError) as caught:
        Resident.model_validate({"address": ADDRESS})
    assert ADDRESS in str(caught.value)  # pydantic quotes the input
    return caught.value


def test_filter_drops_query_strings() -> None:
    access = _through_filter(
        "uvicorn.access",
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:5000",
        "GET",
        "/api/v1/core/lookup?name=%E7%AA%93&address=x",
        "1.1",
        200,
    )
    assert '"GET /api/v1/core/lookup HTTP/1.1" 200' in access
    other = _through_filter("httpx", "HTTP Request: GET http://h/ticket/?token=secret-device")
    assert "secret-device" not in other and "http://h/ticket/" in other


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = [(root, root.handlers[:], root.level, root.propagate)]
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.handlers[:], logger.level, logger.propagate))
    yield
    for logger, handlers, level, propagate in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


def test_serve_sends_uvicorn_logs_through_the_filter(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    from backend.cli import build_app

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    assert CliRunner().invoke(build_app(), ["serve"]).exit_code == 0
    assert seen.get("log_config"), "madoguchi serve leaves uvicorn's logging unfiltered"
    uvicorn.Config(lambda: None, log_config=seen["log_config"])  # configures logging as serve
    capfd.readouterr()
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/lookup?name={NAME}", "1.1", 200
    )
    error = _failing_insert(create_engine("sqlite://"))
    logging.getLogger("uvicorn.error").error("Exception in ASGI application", exc_info=error)
    logged = capfd.readouterr().err
    assert '"GET /lookup HTTP/1.1" 200' in logged and "Exception in ASGI application" in logged
    for value in (NAME, ADDRESS, NUMBER, PHONE, "[parameters:"):
        assert value not in logged


def test_lookup_by_get_still_answers(client: TestClient, db: Session) -> None:
    seed_demo(db)
    headers = login(client, "clerk")
    response = client.get(
        "/api/v1/core/lookup",
        params={"name": "デモ　ジロウ", "birth_date": "1990-01-01", "address": ADDRESS},
        headers=headers,
    )
    assert response.status_code == 200
    assert "residents" in response.json()


def test_log_scan_finds_parameter_dumps_and_query_values() -> None:
    assert scan_sql_and_queries("[SQL: SELECT 1]\n[parameters: ('x',)]")
    assert scan_sql_and_queries("DETAIL:  Key (code)=(x) already exists.")
    assert scan_sql_and_queries("[SQL: UPDATE r SET address='デモ県' WHERE id = ?]")
    assert scan_sql_and_queries('"GET /api/v1/core/lookup?name=x&birth_date=y HTTP/1.1" 200')
    assert scan_sql_and_queries("GET http://h/display/?token=abc")
    assert not scan_sql_and_queries("[SQL: SELECT * FROM t WHERE status = 'open' AND id = ?]")
    assert not scan_sql_and_queries('"GET /api/v1/core/lookup HTTP/1.1" 200')


def test_a_core_systems_url_loses_the_resident_code() -> None:
    # httpx logs each request to the core system at INFO, with the 住民票コード in the path.
    line = _through_filter(
        "httpx",
        'HTTP Request: GET %s "%s"',
        "http://core.local/v1/residents/99100700011/benefits",
        "HTTP/1.1 200 OK",
    )
    assert "99100700011" not in line
    assert "/v1/residents/***********/benefits" in line
