from __future__ import annotations

from pydantic import BaseModel, Field


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
