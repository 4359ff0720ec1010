"""`make run`: print the ticket machine and display URLs with the demo device tokens."""

from __future__ import annotations

import threading

from backend.platform.settings import get_settings
from backend.seed import DEMO_DISPLAY_TOKEN, DEMO_TICKET_MACHINE_TOKEN


def start_demo(stop: threading.Event) -> str:
    base = get_settings().public_url.rstrip("/")
    return (
        f"発券機 / ticket machine: {base}/ticket/#token={DEMO_TICKET_MACHINE_TOKEN}\n"
        f"  呼出表示 / display:       {base}/display/#token={DEMO_DISPLAY_TOKEN}"
    )
