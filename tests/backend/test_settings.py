import base64
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from backend.platform.settings import Settings, parse_encryption_keys

GOOD_KEY = "k1:" + base64.b64encode(b"0" * 32).decode()


def test_development_accepts_defaults() -> None:
    assert Settings(environment="development").secret_key


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_refuses_default_secret_outside_development(environment: str) -> None:
    with pytest.raises(ValidationError, match="MADOGUCHI_SECRET_KEY"):
        Settings(environment=environment, encryption_keys=GOOD_KEY)


def test_refuses_default_encryption_key_in_production() -> None:
    with pytest.raises(ValidationError, match="MADOGUCHI_ENCRYPTION_KEYS"):
        Settings(environment="production", secret_key="x" * 40)


def test_production_starts_with_real_keys() -> None:
    settings = Settings(environment="production", secret_key="x" * 40, encryption_keys=GOOD_KEY)
    assert settings.environment == "production"


def test_display_languages_are_resident_languages() -> None:
    assert Settings(display_languages=" ja , ko ").display_languages == "ja,ko"
    for wrong in ("", "ja,fr", "zh"):
        with pytest.raises(ValidationError, match="MADOGUCHI_DISPLAY_LANGUAGES"):
            Settings(display_languages=wrong)


def test_reads_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert Settings().database_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    "value", ["", "nokey", "k:notbase64!!", "k:" + base64.b64encode(b"short").decode()]
)
def test_bad_encryption_keys_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        parse_encryption_keys(value)


def test_every_setting_is_documented() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(MADOGUCHI_[A-Z_]+)`", doc)) - {"MADOGUCHI_TEST_POSTGRES_URL"}
    declared = {f"MADOGUCHI_{name.upper()}" for name in Settings.model_fields}
    assert declared - documented == set(), "settings missing from docs/configuration.md"
    assert documented - declared == set(), "docs/configuration.md names unknown settings"
