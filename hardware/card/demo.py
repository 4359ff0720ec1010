"""The virtual My Number Card of ``make run``: ``start_demo(stop)`` (see backend/demo.py).

Starts pcscd when it is installed but not running (it needs the rights to create
/run/pcscd; as a normal user start it beforehand with ``sudo pcscd``), then plugs the default
synthetic card into the first free vpcd slot until ``stop`` is set.
"""

from __future__ import annotations

import logging
import threading

from hardware.card.emulator import DEFAULT_PROFILE, start_emulator
from hardware.card.pcscd import VPCD_BASE_PORT, start_pcscd, stop_pcscd, vpcd_slots

log = logging.getLogger(__name__)


def start_demo(stop: threading.Event) -> str:
    try:
        # Shorter than the tests' wait: the demo starts without the card rather than hang.
        pcscd = start_pcscd(timeout=15.0)
    except RuntimeError as exc:
        log.warning("card emulator: %s", exc)
        pcscd = None
    slots = vpcd_slots()
    reader = slots[0].reader if slots else "Virtual PCD 00 00"
    port = slots[0].port if slots else VPCD_BASE_PORT
    emulator = start_emulator(DEFAULT_PROFILE, port=port)

    def stop_when_asked() -> None:
        stop.wait()
        emulator.stop()
        stop_pcscd(pcscd)

    # Not a daemon: the interpreter waits for it, so pcscd is stopped before the demo exits.
    threading.Thread(target=stop_when_asked, name="card-demo-stop").start()
    state = "" if slots else " (pcscd/vpcd が見つかりません: docs/hardware.md)"
    return (
        f"仮想マイナンバーカード / Virtual My Number Card: {reader} (port {port}), "
        f"profile {DEFAULT_PROFILE.name}, PIN 1234 (synthetic){state}"
    )
