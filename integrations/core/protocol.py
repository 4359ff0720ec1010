"""The adapter interface a core 住民記録 system implements (one per vendor / API)."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from integrations.core.models import (
    CoreBenefits,
    CoreResident,
    MovingOutCertificate,
    ResidentQuery,
)


class CoreSystem(Protocol):
    def lookup(self, query: ResidentQuery) -> list[CoreResident]:
        """Residents matching the query (empty when none); CoreSystemError when unreachable."""
        ...

    def moving_out_certificate(self, resident_code: str) -> MovingOutCertificate:
        """The 転出証明書情報 for a 特例転入; CoreNotFound when there is none."""
        ...

    def moving_out_for(self, name: str, birth_date: dt.date) -> MovingOutCertificate | None:
        """The 転出証明書情報 sent ahead for someone expected to move in (特例転入, 転入予約),
        found by name and birth date; None when there is none (or several)."""
        ...

    def benefits(self, resident_code: str) -> CoreBenefits:
        """国保・介護認定・障害者手帳・児童手当 as recorded; CoreNotFound for an unknown code."""
        ...
