"""The adapter interface a core 住民記録 system implements (one per vendor / API)."""

from __future__ import annotations

from typing import Protocol

from integrations.core.models import CoreResident, MovingOutCertificate, ResidentQuery


class CoreSystem(Protocol):
    def lookup(self, query: ResidentQuery) -> list[CoreResident]:
        """Residents matching the query (empty when none); CoreSystemError when unreachable."""
        ...

    def moving_out_certificate(self, resident_code: str) -> MovingOutCertificate:
        """The 転出証明書情報 for a 特例転入; CoreNotFound when there is none."""
        ...
