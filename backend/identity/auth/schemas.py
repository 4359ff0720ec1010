from __future__ import annotations

from pydantic import BaseModel, Field

from backend.identity.staff.models import Role


class LoginRequest(BaseModel):
    tenant_code: str = Field(pattern=r"^\d{6}$", description="団体コード")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class StaffRead(BaseModel):
    id: str
    username: str
    display_name: str
    role: str
    tenant_id: str
    tenant_code: str
    tenant_name: str


class LoginResponse(BaseModel):
    staff: StaffRead
    csrf_token: str


class ProviderSettings(BaseModel):
    issuer: str = Field(min_length=8, max_length=255, pattern=r"^https?://")
    client_id: str = Field(min_length=1, max_length=255)
    client_secret: str | None = Field(
        default=None, max_length=1024, description="write-only; omitted keeps the current one"
    )
    scopes: str = Field(default="openid profile", max_length=255)
    role_claim: str = Field(default="groups", min_length=1, max_length=64)
    role_map: dict[str, Role] = Field(default_factory=dict, description="claim value → role")
    enabled: bool = True


class ProviderRead(BaseModel):
    issuer: str
    client_id: str
    has_client_secret: bool
    scopes: str
    role_claim: str
    role_map: dict[str, str]
    enabled: bool
