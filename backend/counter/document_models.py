"""Old imports keep working: ``Document`` and ``Signature`` are in ``backend.counter.models``."""

from backend.counter.models import Document, Signature

__all__ = ["Document", "Signature"]
