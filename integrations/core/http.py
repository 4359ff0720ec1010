"""The core system over HTTP/JSON (the simulator speaks this API; a vendor adapter may too).

``POST {base}/v1/residents/search`` {name, birth_date, address} → {"residents": [...]}
``GET  {base}/v1/residents/{code}`` → resident (404: none)
``GET  {base}/v1/residents/{code}/moving-out-certificate`` → certificate (404: none)
``POST {base}/v1/moving-out-certificates/search`` {name, birth_date} → {"certificates": [...]}
``GET  {base}/v1/residents/{code}/benefits`` → 国保・介護認定・障害者手帳・児童手当 (404: none)
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from integrations.core.errors import CoreBadResponse, CoreNotFound, CoreTimeout, CoreUnavailable
from integrations.core.models import (
    CoreBenefits,
    CoreResident,
    MovingOutCertificate,
    ResidentQuery,
)


@functools.cache
def _client() -> httpx.Client:
    """One pooled client for the process: a counter match makes several calls (lookups, each
    member's benefits), and a new client per call (TLS context, connection) cost ~100 ms each."""
    return httpx.Client()


@dataclass(frozen=True)
class HttpCoreSystem:
    base_url: str
    timeout_seconds: float = 3.0

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        url = self.base_url.rstrip("/") + path
        try:
            response = _client().request(method, url, json=body, timeout=self.timeout_seconds)
        except httpx.TimeoutException as exc:
            raise CoreTimeout() from exc
        except httpx.HTTPError as exc:
            raise CoreUnavailable() from exc
        if response.status_code == 404:
            return None
        if response.status_code >= 500:
            raise CoreUnavailable()
        if response.status_code != 200:
            raise CoreBadResponse()
        try:
            return response.json()
        except ValueError as exc:
            raise CoreBadResponse() from exc

    def lookup(self, query: ResidentQuery) -> list[CoreResident]:
        try:
            if query.resident_code:
                data = self._request("GET", f"/v1/residents/{quote(query.resident_code, safe='')}")
                return [] if data is None else [CoreResident.model_validate(data)]
            body = query.model_dump(mode="json", exclude={"resident_code"})
            data = self._request("POST", "/v1/residents/search", body)
            items = (data or {}).get("residents", [])
            return [CoreResident.model_validate(item) for item in items]
        except ValidationError as exc:
            raise CoreBadResponse() from exc

    def moving_out_certificate(self, resident_code: str) -> MovingOutCertificate:
        code = quote(resident_code, safe="")  # a path segment, whatever the caller passed
        data = self._request("GET", f"/v1/residents/{code}/moving-out-certificate")
        if data is None:
            raise CoreNotFound(
                "転出証明書情報が見つかりません。転出証明書（紙）で受け付けてください。"
            )
        try:
            return MovingOutCertificate.model_validate(data)
        except ValidationError as exc:
            raise CoreBadResponse() from exc

    def moving_out_for(self, name: str, birth_date: dt.date) -> MovingOutCertificate | None:
        body = {"name": name, "birth_date": birth_date.isoformat()}
        data = self._request("POST", "/v1/moving-out-certificates/search", body)
        try:
            found = [MovingOutCertificate.model_validate(c) for c in (data or {}).get(
                "certificates", [])]  # fmt: skip
        except ValidationError as exc:
            raise CoreBadResponse() from exc
        return found[0] if len(found) == 1 else None

    def benefits(self, resident_code: str) -> CoreBenefits:
        code = quote(resident_code, safe="")
        data = self._request("GET", f"/v1/residents/{code}/benefits")
        if data is None:
            raise CoreNotFound("この住民票コードの方は基幹システムに記録がありません。")
        try:
            return CoreBenefits.model_validate(data)
        except ValidationError as exc:
            raise CoreBadResponse() from exc
