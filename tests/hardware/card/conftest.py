"""The real stack for card tests: pcscd (started here if needed) + vpcd + the emulator.

Outside CI these tests skip when pcscd or vpcd is missing; under CI=true that is a failure.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hardware.card.emulator import CardProfile, VpcdEmulator, start_emulator
from hardware.card.pcsc import list_readers
from hardware.card.pcscd import VpcdSlot, free_vpcd_slots, start_pcscd, stop_pcscd
from tests.conftest import require_service

StartCard = Callable[..., VpcdEmulator]


def wait_for_presence(reader: str, *, present: bool, timeout: float = 30.0) -> None:
    """Readiness, not timing: wait until pcscd reports the card (or its absence).

    Generous: after a card vanished mid-command, vpcd can take a while to accept the next one.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = {r.name: r.card_present for r in list_readers()}
        if states.get(reader) == present:
            return
        time.sleep(0.05)
    raise AssertionError(f"{reader}: card_present never became {present}")


@pytest.fixture(scope="session")
def pcscd() -> Iterator[None]:
    try:
        process: subprocess.Popen[bytes] | None = start_pcscd()
    except RuntimeError as exc:
        require_service(False, f"pcscd with the vpcd driver is not available: {exc}")
        return
    yield
    stop_pcscd(process)


@pytest.fixture
def vpcd_slot(pcscd: None) -> VpcdSlot:
    """A vpcd slot with no card in it (another run may be using the first one)."""
    slots = free_vpcd_slots()
    require_service(bool(slots), "pcscd runs but no free vpcd reader slot")
    return slots[0]


@pytest.fixture
def start_card(vpcd_slot: VpcdSlot) -> Iterator[StartCard]:
    """Insert a virtual card in the free slot; every card is removed after the test."""
    started: list[VpcdEmulator] = []

    def start(card_profile: CardProfile | Path | None = None, **kwargs: object) -> VpcdEmulator:
        wait_for_presence(vpcd_slot.reader, present=False)  # the previous card is gone
        # After a card vanished mid-command, vpcd sometimes ignores the next connection until
        # the card side connects once more: plug the card in again, up to three times.
        for attempt in range(3):
            emulator = start_emulator(card_profile, port=vpcd_slot.port, **kwargs)  # type: ignore[arg-type]
            started.append(emulator)
            assert emulator.wait_connected(), "the virtual card did not connect to vpcd"
            try:
                wait_for_presence(vpcd_slot.reader, present=True, timeout=10)
                return emulator
            except AssertionError:
                emulator.stop()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    yield start
    for emulator in started:
        emulator.stop()
    if started:
        wait_for_presence(vpcd_slot.reader, present=False)  # leave the slot free for the next
