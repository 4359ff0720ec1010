"""Docker does not run here: check that the container files say what they must."""

from pathlib import Path

import yaml

from backend.platform.settings import Settings

ROOT = Path(__file__).parents[1]


def test_compose_services_health_and_settings() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"backend", "worker", "postgres"} <= set(services)
    for name in ("backend", "worker", "postgres"):
        assert "healthcheck" in services[name], f"{name} has no health check"
    assert "db upgrade" in " ".join(services["backend"]["command"])
    known = {f"MADOGUCHI_{field.upper()}" for field in Settings.model_fields}
    for name in ("backend", "worker"):
        env = services[name]["environment"]
        assert set(env) <= known, f"{name} sets unknown variables: {set(env) - known}"
        assert env["MADOGUCHI_ENVIRONMENT"] == "production"
        assert env["MADOGUCHI_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert {"pgdata", "data"} <= set(compose["volumes"])


def test_dockerfile_is_multi_stage_and_non_root() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert text.count("FROM ") >= 2
    assert "USER madoguchi" in text
    for package in ("fonts-ipaexfont", "fonts-ipamj-mincho", "fonts-noto-cjk", "libpcsclite1"):
        assert package in text
    assert "uv sync --frozen" in text
