"""Every setting of madoguchi, from environment variables prefixed ``MADOGUCHI_``.

``docs/configuration.md`` lists them; a test keeps that table and this class in step.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development defaults: usable on a laptop, refused anywhere else.
DEFAULT_SECRET_KEY = "dev-secret-key-change-me"  # noqa: S105 - refused outside development
DEFAULT_ENCRYPTION_KEYS = "dev:" + base64.b64encode(b"madoguchi-dev-key-not-for-prod!!").decode()

Environment = Literal["development", "test", "staging", "production"]


RESIDENT_LANGUAGES = ("ja", "en", "zh-Hans", "ko", "vi", "pt")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MADOGUCHI_", env_file=None, extra="ignore")

    environment: Environment = Field(
        default="development", description="development, test, staging or production"
    )
    database_url: str = Field(
        default="sqlite:///var/madoguchi.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    database_pool_size: int = Field(
        default=20,
        ge=1,
        le=200,
        description="PostgreSQL: connections per process for requests (as many requests use the "
        "database at once; the others queue without holding a thread); 10 more serve agents "
        "and long-polls. Keep processes × (size + 10) under the server's max_connections",
    )
    secret_key: str = Field(
        default=DEFAULT_SECRET_KEY, description="signs session cookies and one-time codes"
    )
    encryption_keys: str = Field(
        default=DEFAULT_ENCRYPTION_KEYS,
        description="personal-data keys as KEYID:BASE64 (32 bytes), comma-separated; first "
        "encrypts, all decrypt (key rotation)",
    )
    host: str = Field(default="127.0.0.1", description="address the backend listens on")
    port: int = Field(default=8000, description="port the backend listens on")
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="URL residents' phones use (ticket QR codes)"
    )
    timezone: str = Field(default="Asia/Tokyo", description="time zone of tenants by default")
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING, ERROR")
    data_dir: Path = Field(default=Path("var"), description="documents, previews, drop folders")
    demo_devices: bool = Field(
        default=True,
        description="start the emulated card reader and printer with `madoguchi demo`",
    )
    worker_poll_seconds: float = Field(default=1.0, description="worker idle poll interval")
    render_processes: int = Field(
        default=2,
        ge=0,
        description="processes that render forms (PDF) beside the server's, so rendering uses "
        "every core and never holds the event loop; 0: render in the server process (tests)",
    )
    serve_cpu_pinning: bool = Field(
        default=True,
        description="`madoguchi serve`: each server process on a CPU of its own, taken from the "
        "free slots in DATA_DIR/cpu-slots (its threads hand over without waking another CPU); "
        "false: the kernel places them",
    )
    ticket_printer_url: str = Field(
        default="",
        description="receipt printer of the ticket machines (tcp://host:9100, …); empty: the "
        "machine shows a QR code instead (make run points it at the emulator)",
    )
    display_languages: str = Field(
        default="ja,en,zh-Hans,ko,vi,pt",
        description="languages of the waiting-room display, comma-separated: the first is "
        "always shown, the others take turns beside it (ja,en,zh-Hans,ko,vi,pt)",
    )
    core_url: str = Field(
        default="http://127.0.0.1:8790",
        description="the core 住民記録 system's adapter endpoint (the demo runs a simulator here); "
        "empty: no core system, the counter does not ask",
    )
    core_timeout_seconds: float = Field(
        default=3.0, description="how long a core-system lookup may take before manual entry"
    )
    audit_anchor_key: str = Field(
        default="",
        description="signs the audit chain's anchors (HMAC-SHA256); kept out of the database, "
        "at least 32 characters; empty: no anchors",
    )
    audit_anchor_file: str = Field(
        default="",
        description="append-only JSON Lines file the worker writes signed anchors to; empty: none",
    )
    audit_anchor_every_seconds: float = Field(
        default=300.0, description="how often the worker anchors the chains that moved"
    )

    @field_validator("audit_anchor_key")
    @classmethod
    def _anchor_key_long_enough(cls, value: str) -> str:
        if value and len(value) < 32:
            raise ValueError("MADOGUCHI_AUDIT_ANCHOR_KEY must be at least 32 characters")
        return value

    trusted_proxies: str = Field(
        default="",
        description="reverse proxies whose X-Forwarded-For is believed (IPs or CIDRs, "
        "comma-separated); empty: none, the peer's address is the client's",
    )

    @field_validator("display_languages")
    @classmethod
    def _display_languages_known(cls, value: str) -> str:
        codes = [code.strip() for code in value.split(",") if code.strip()]
        unknown = [code for code in codes if code not in RESIDENT_LANGUAGES]
        if not codes or unknown:
            raise ValueError(
                f"MADOGUCHI_DISPLAY_LANGUAGES: {unknown or 'empty'}; use {RESIDENT_LANGUAGES}"
            )
        return ",".join(codes)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        parse_trusted_proxies(value)
        return value

    @property
    def trusted_proxy_networks(self) -> list[IPNetwork]:
        return parse_trusted_proxies(self.trusted_proxies)

    @field_validator("encryption_keys")
    @classmethod
    def _keys_parse(cls, value: str) -> str:
        parse_encryption_keys(value)
        return value

    @model_validator(mode="after")
    def _refuse_defaults_outside_development(self) -> Settings:
        if self.environment in ("development", "test"):
            return self
        insecure = []
        if self.secret_key == DEFAULT_SECRET_KEY or len(self.secret_key) < 32:
            insecure.append("MADOGUCHI_SECRET_KEY (default or shorter than 32 characters)")
        if self.encryption_keys == DEFAULT_ENCRYPTION_KEYS or "dev:" in self.encryption_keys:
            insecure.append("MADOGUCHI_ENCRYPTION_KEYS (development key)")
        if insecure:
            raise ValueError(
                f"{self.environment} では既定の鍵では起動できません / refusing to start in "
                f"{self.environment} with: " + ", ".join(insecure)
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted_proxies(value: str) -> list[IPNetwork]:
    """``10.0.0.5, 192.168.1.0/24, ::1`` → networks (a bare address is a /32 or /128)."""
    networks: list[IPNetwork] = []
    for entry in filter(None, (part.strip() for part in value.split(","))):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ValueError(f"trusted proxy {entry!r} is not an IP address or CIDR") from exc
    return networks


def parse_encryption_keys(value: str) -> dict[str, bytes]:
    """``KEYID:BASE64,…`` → ordered {key id: 32-byte key}; the first entry is the current key."""
    keys: dict[str, bytes] = {}
    for entry in filter(None, (part.strip() for part in value.split(","))):
        key_id, sep, encoded = entry.partition(":")
        if not sep or not key_id:
            raise ValueError("encryption key entries look like KEYID:BASE64")
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"encryption key {key_id!r} is not valid base64") from exc
        if len(key) != 32:
            raise ValueError(f"encryption key {key_id!r} must be 32 bytes (AES-256)")
        keys[key_id] = key
    if not keys:
        raise ValueError("at least one encryption key is needed")
    return keys


@lru_cache
def get_settings() -> Settings:
    return Settings()
