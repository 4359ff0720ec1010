"""Security-owned tables: the separately encrypted 個人番号 and per-tenant OpenID Connect."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, IdMixin, TenantOwned, TimestampMixin, utcnow


class IndividualNumber(IdMixin, TenantOwned, Base):
    """A member's 個人番号, kept only while a procedure that needs it is in progress.

    ``sealed`` is AES-GCM with its own associated-data context (see
    ``backend.counter.individual_number``): a value copied into an ordinary ``EncryptedText``
    column, or another member's row, does not decrypt.
    """

    __tablename__ = "individual_numbers"

    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[str] = mapped_column(
        ForeignKey("household_members.id", ondelete="CASCADE"), unique=True
    )
    sealed: Mapped[str] = mapped_column(Text, comment="AES-GCM, context individual-number/1")
    procedure_ids: Mapped[list[str]] = mapped_column(
        JSON, default=list, comment="the procedures whose catalog entry needs the number"
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OidcProvider(IdMixin, TimestampMixin, TenantOwned, Base):
    """A municipality's identity provider (OpenID Connect, authorization code + PKCE)."""

    __tablename__ = "oidc_providers"

    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret: Mapped[str | None] = mapped_column(Text, comment="sealed like personal data")
    scopes: Mapped[str] = mapped_column(String(255), default="openid profile")
    role_claim: Mapped[str] = mapped_column(String(64), default="groups")
    role_map: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, comment="claim value → role (clerk, back_office, tenant_admin…)"
    )
    enabled: Mapped[bool] = mapped_column(default=True)


class OidcLogin(IdMixin, Base):
    """One login in flight: the state we sent and the PKCE verifier, used once."""

    __tablename__ = "oidc_logins"

    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(String(128))
    redirect_uri: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
