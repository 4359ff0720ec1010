"""Finding or starting pcscd with vsmartcard's vpcd driver (tests, benchmark, demo).

vpcd's reader slots are named "Virtual PCD 00 00", "Virtual PCD 00 01", ...; slot n waits for a
virtual card on TCP port 35963 + n (Debian's ``/etc/reader.conf.d/vpcd``).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass

from hardware.card.errors import CardError
from hardware.card.pcsc import PcscContext

VPCD_READER_PREFIX = "Virtual PCD"
VPCD_BASE_PORT = 35963


@dataclass(frozen=True)
class VpcdSlot:
    reader: str
    port: int


def vpcd_slots() -> list[VpcdSlot]:
    """The vpcd readers pcscd offers, with the port their virtual card must connect to."""
    try:
        with PcscContext() as pcsc:
            readers = pcsc.readers()
    except CardError:
        return []
    slots = []
    for reader in readers:
        if reader.name.startswith(VPCD_READER_PREFIX) and not reader.card_present:
            slot = int(reader.name.rsplit(" ", 1)[-1], 16)
            slots.append(VpcdSlot(reader.name, VPCD_BASE_PORT + slot))
    return slots


def free_vpcd_slots(timeout: float = 10.0) -> list[VpcdSlot]:
    """``vpcd_slots()``, waiting up to ``timeout`` for one to come free.

    pcscd notices that a virtual card has gone only at its next poll of vpcd, so a slot that was
    just emptied may read as occupied for a moment.
    """
    deadline = time.monotonic() + timeout
    slots = vpcd_slots()
    while not slots and time.monotonic() < deadline:
        time.sleep(0.1)
        slots = vpcd_slots()
    return slots


def service_available() -> bool:
    try:
        with PcscContext() as pcsc:
            pcsc.reader_names()
    except CardError:
        return False
    return True


def start_pcscd(timeout: float = 15.0) -> subprocess.Popen[bytes] | None:
    """Start pcscd in the foreground as our child unless one already runs (then None).

    Raises RuntimeError when pcscd is missing or does not come up with a vpcd reader.
    """
    if service_available():
        return None
    executable = shutil.which("pcscd") or shutil.which("pcscd", path="/usr/sbin:/usr/local/sbin")
    if executable is None:
        raise RuntimeError("pcscd is not installed (Debian: apt-get install pcscd vsmartcard-vpcd)")
    process = subprocess.Popen(
        [executable, "--foreground"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"pcscd exited with {process.returncode}: {stderr.strip()}")
        if vpcd_slots():
            return process
        time.sleep(0.1)
    stop_pcscd(process)
    raise RuntimeError("pcscd started but offers no vpcd reader (is vsmartcard-vpcd installed?)")


def stop_pcscd(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
