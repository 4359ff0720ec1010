"""The core 住民記録 system (基幹系): an adapter interface, an HTTP adapter and a simulator."""

from integrations.core.errors import (
    CoreBadResponse,
    CoreNotFound,
    CoreSystemError,
    CoreTimeout,
    CoreUnavailable,
)
from integrations.core.models import (
    CoreBenefits,
    CoreResident,
    HouseholdEntry,
    MovingOutCertificate,
    ResidentQuery,
)
from integrations.core.protocol import CoreSystem

__all__ = [
    "CoreBadResponse",
    "CoreBenefits",
    "CoreNotFound",
    "CoreResident",
    "CoreSystem",
    "CoreSystemError",
    "CoreTimeout",
    "CoreUnavailable",
    "HouseholdEntry",
    "MovingOutCertificate",
    "ResidentQuery",
]
