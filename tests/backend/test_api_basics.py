from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE, seed_demo


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_when_migrated(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text


def test_readyz_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    from backend.app import create_app
    from backend.platform import db as db_module

    previous = db_module._engine
    db_module.reset_engine(db_module.make_engine(f"sqlite:///{tmp_path / 'empty.db'}"))
    try:
        response = TestClient(create_app()).get("/readyz")
    finally:
        db_module.reset_engine(previous)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "migrations_pending"


def test_visit_schema_is_published(client: TestClient) -> None:
    schema = client.get("/api/v1/schemas/visit.json").json()
    assert schema["title"] == "madoguchi.visit/1"
    assert {"tenant", "event", "members"} <= set(schema["properties"])


def test_unknown_api_route_uses_the_error_shape(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_openapi_is_served(client: TestClient) -> None:
    assert "/healthz" in client.get("/openapi.json").json()["paths"]


def _login(client: TestClient, username: str = "clerk", password: str = DEMO_PASSWORD):
    return client.post(
        "/api/v1/auth/login",
        json={"tenant_code": DEMO_TENANT_CODE, "username": username, "password": password},
    )


def test_login_me_logout(client: TestClient, db: Session) -> None:
    seed_demo(db)
    response = _login(client)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["staff"]["role"] == "clerk"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert client.get("/api/v1/auth/me").json()["staff"]["username"] == "clerk"
    # state-changing requests need the CSRF token
    assert client.post("/api/v1/auth/logout").status_code == 403
    headers = {"x-csrf-token": body["csrf_token"]}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401


def test_wrong_password_and_lockout(client: TestClient, db: Session) -> None:
    seed_demo(db)
    for _ in range(5):
        response = _login(client, password="wrong")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "login_failed"
    locked = _login(client)
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "account_locked"


def test_seed_is_idempotent(db: Session) -> None:
    from sqlalchemy import func, select

    from backend.models import Counter, StaffAccount

    seed_demo(db)
    seed_demo(db)
    assert db.scalar(select(func.count()).select_from(StaffAccount)) == 4
    assert db.scalar(select(func.count()).select_from(Counter)) == 5


def test_a_failed_commit_is_an_error_not_a_200(client: TestClient, db: Session) -> None:
    """The transaction ends before the response is sent (one request, one transaction)."""
    from backend.models import Tenant
    from backend.platform.deps import SessionDep

    db.add(Tenant(code="991007", name="既存"))
    db.flush()
    app = client.app

    @app.post("/api/v1/test-only/duplicate-tenant")  # type: ignore[attr-defined, untyped-decorator]
    def duplicate(session: SessionDep) -> dict[str, bool]:
        session.add(Tenant(code="991007", name="重複"))  # flushed only when the request ends
        return {"saved": True}

    app.router.routes.insert(0, app.router.routes.pop())  # type: ignore[attr-defined]
    response = client.post("/api/v1/test-only/duplicate-tenant")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


def test_no_page_loads_anything_from_outside(client: TestClient) -> None:
    """Closed counter networks: no CDN, so no Swagger UI page that would need one."""
    assert client.get("/docs").status_code == 404
    static = Path(__file__).parents[2] / "kiosk" / "static"
    pages = [p for p in static.rglob("*") if p.suffix in {".html", ".js", ".css"}]
    for page in (p for p in pages if "vendor" not in p.parts):
        text = page.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text, page
