"""Bad input refused at the boundary (issue 14, items 1 and 7) on SQLite and PostgreSQL:
documents over the parse limits, JSON bodies nested too deeply, NUL and other forbidden
characters in paths, queries and text fields, and a database that is gone (503, not 500).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.identity.tenants.models import Counter, Tenant
from backend.platform import db as db_module
from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE, seed_demo

DEEP_JSON = "[" * 50_000
DEEP_YAML = "a: " + "[" * 50_000


def alias_bomb(levels: int) -> str:
    """``a: &a [lol×9]``, ``b: &b [*a×9]`` …: a few hundred bytes, 9**levels nodes."""
    lines = ["l0: &l0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": username, "password": DEMO_PASSWORD},
    )
    assert response.status_code == 200, response.text
    return {"x-csrf-token": response.json()["csrf_token"]}


@pytest.fixture
def demo(db: Session) -> Tenant:
    return seed_demo(db)


@pytest.fixture
def admin(client: TestClient, demo: Tenant) -> dict[str, str]:
    return login(client, "admin")


@pytest.fixture
def clerk(client: TestClient, demo: Tenant) -> dict[str, str]:
    return login(client, "clerk")


def open_visit(client: TestClient, db: Session, demo: Tenant, headers: dict[str, str]) -> str:
    counter = db.scalars(
        select(Counter).where(Counter.tenant_id == demo.id, Counter.code == "1")
    ).one()
    response = client.post("/api/v1/visits", json={"counter_id": counter.id}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def as_json(body: object) -> bytes:
    """JSON with escapes (``\\ud800`` included), as a client that is not Python would send."""
    return json.dumps(body).encode("ascii")


def error_of(response: object) -> dict[str, object]:
    body = response.json()  # type: ignore[attr-defined]
    assert isinstance(body, dict) and "error" in body, body
    return body["error"]  # type: ignore[no-any-return]


# --- item 1: documents and bodies over the parse limits -----------------------------------


@pytest.mark.parametrize("path", ["/api/v1/catalog/validate", "/api/v1/catalog/versions"])
@pytest.mark.parametrize(
    ("source", "code"),
    [
        (DEEP_YAML, "document_too_deep"),
        (DEEP_JSON, "document_too_deep"),
        (alias_bomb(7), "document_too_many_nodes"),
        (alias_bomb(9), "document_too_many_nodes"),
        ("a: &a [*a]\n", "document_recursive_alias"),
        ("catalog: " + "9" * 10_000 + "\n", "number_too_large"),
    ],
    ids=["deep-yaml", "deep-json", "bomb-7", "bomb-9", "recursive", "huge-int"],
)
def test_catalog_over_the_limits_is_refused_with_422(
    client: TestClient, admin: dict[str, str], path: str, source: str, code: str
) -> None:
    response = client.post(path, json={"source": source}, headers=admin)
    assert response.status_code == 422, response.text
    assert error_of(response)["code"] == code


def test_catalog_of_ordinary_depth_with_aliases_still_validates(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/catalog/validate", json={"source": alias_bomb(3)}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert response.json()["valid"] is False  # a valid document, but not a catalog


@pytest.mark.parametrize("depth", [65, 1_000, 50_000])
def test_deeply_nested_json_body_is_refused_before_parsing(
    client: TestClient, admin: dict[str, str], depth: int
) -> None:
    body = '{"source": ' + "[" * depth + "]" * depth + "}"
    response = client.post(
        "/api/v1/catalog/validate",
        content=body,
        headers={**admin, "content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert error_of(response)["code"] == "document_too_deep"


def test_deep_json_without_content_type_is_refused_too(client: TestClient) -> None:
    """FastAPI parses a body without a content type as JSON: so does the guard."""
    response = client.post("/api/v1/auth/login", content=DEEP_JSON)
    assert response.status_code == 422
    assert error_of(response)["code"] == "document_too_deep"


def test_brackets_inside_strings_do_not_count(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/catalog/validate", json={"source": "x: '" + "[" * 5_000 + "'"}, headers=admin
    )
    assert response.status_code == 200, response.text


# --- item 7: forbidden characters ----------------------------------------------------------

BAD_TEXT = [
    ("\x00", "U+0000"),
    ("\ud800", "U+D800"),
    ("\x1b[31m", "U+001B"),
    ("\u202e", "U+202E"),
]


@pytest.mark.parametrize(("bad", "shown"), BAD_TEXT, ids=["nul", "surrogate", "esc", "rlo"])
def test_login_with_a_bad_character_is_422_naming_the_field(
    client: TestClient, demo: Tenant, bad: str, shown: str
) -> None:
    body = {"tenant_code": DEMO_TENANT_CODE, "username": f"clerk{bad}", "password": "x"}
    response = client.post("/api/v1/auth/login", content=as_json(body))
    assert response.status_code == 422, response.text
    error = error_of(response)
    assert error["code"] == "validation_failed"
    assert error["fields"] == [
        {"field": "body.username", "message": f"使用できない文字 ({shown}) が含まれています。"}
    ]


@pytest.mark.parametrize(("bad", "shown"), BAD_TEXT, ids=["nul", "surrogate", "esc", "rlo"])
def test_member_name_with_a_bad_character_is_refused(
    client: TestClient, db: Session, demo: Tenant, clerk: dict[str, str], bad: str, shown: str
) -> None:
    visit_id = open_visit(client, db, demo, clerk)
    response = client.post(
        f"/api/v1/visits/{visit_id}/members",
        content=as_json({"name": f"山田{bad}太郎", "kana": "ヤマダ　タロウ"}),
        headers=clerk,
    )
    assert response.status_code == 422, response.text
    assert [f["field"] for f in error_of(response)["fields"]] == ["body.name"]  # type: ignore[union-attr]
    patched = client.patch(
        f"/api/v1/visits/{visit_id}",
        content=as_json({"new_address": "窓口デモ市中央", "facts": {"note": f"メモ{bad}"}}),
        headers=clerk,
    )
    assert patched.status_code == 422, patched.text
    assert [f["field"] for f in error_of(patched)["fields"]] == ["body.facts.note"]  # type: ignore[union-attr]


def test_ordinary_text_passes(
    client: TestClient, db: Session, demo: Tenant, clerk: dict[str, str]
) -> None:
    """Tabs, new lines, 異体字 and characters outside the BMP stay allowed."""
    visit_id = open_visit(client, db, demo, clerk)
    response = client.post(
        f"/api/v1/visits/{visit_id}/members",
        json={"name": "髙橋\u3000\U00020bb7子", "kana": "タカハシ　ヨシコ"},
        headers=clerk,
    )
    assert response.status_code == 201, response.text
    patched = client.patch(
        f"/api/v1/visits/{visit_id}", json={"facts": {"note": "一行目\n\t二行目"}}, headers=clerk
    )
    assert patched.status_code == 200, patched.text


def test_nul_in_a_path_parameter_names_it(client: TestClient, clerk: dict[str, str]) -> None:
    response = client.get("/api/v1/visits/abc%00def", headers=clerk)
    assert response.status_code == 422, response.text
    assert [f["field"] for f in error_of(response)["fields"]] == ["path.visit_id"]  # type: ignore[union-attr]


def test_nul_in_an_unauthenticated_follow_page(client: TestClient) -> None:
    response = client.get("/api/v1/follow/tok%00en")
    assert response.status_code == 422, response.text
    assert [f["field"] for f in error_of(response)["fields"]] == ["path.token"]  # type: ignore[union-attr]


def test_nul_in_a_query_parameter_names_it(client: TestClient, clerk: dict[str, str]) -> None:
    response = client.get("/api/v1/visits?status=open%00", headers=clerk)
    assert response.status_code == 422, response.text
    assert [f["field"] for f in error_of(response)["fields"]] == ["query.status"]  # type: ignore[union-attr]


def test_escape_in_a_static_path_is_refused(client: TestClient) -> None:
    response = client.get("/kiosk/%1b.html")
    assert response.status_code == 422


# --- item 7: the database is gone ----------------------------------------------------------


@pytest.fixture
def app_without_database(engine: object, tmp_path: Path) -> Iterator[TestClient]:
    """The app with its database unreachable: a missing folder (SQLite), a closed port (PG)."""
    from backend.app import create_app

    dialect = getattr(engine, "dialect").name  # noqa: B009
    url = (
        f"sqlite:///{tmp_path / 'missing' / 'gone.db'}"
        if dialect == "sqlite"
        else "postgresql+psycopg://postgres@127.0.0.1:1/gone?connect_timeout=2"
    )
    previous = db_module._engine
    db_module.reset_engine(db_module.make_engine(url))
    try:
        with TestClient(create_app(), raise_server_exceptions=False) as client:
            yield client
    finally:
        db_module.reset_engine(previous)


def test_database_gone_is_503_not_500(app_without_database: TestClient) -> None:
    client = app_without_database
    login = client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": "clerk", "password": DEMO_PASSWORD},
    )
    assert login.status_code == 503, login.text
    assert error_of(login)["code"] == "database_unavailable"
    follow = client.get("/api/v1/follow/some-token")
    assert follow.status_code == 503 and error_of(follow)["code"] == "database_unavailable"


def test_readyz_keeps_its_own_answer_without_database(app_without_database: TestClient) -> None:
    response = app_without_database.get("/readyz")
    assert response.status_code == 503
    assert error_of(response)["code"] != "database_unavailable"
