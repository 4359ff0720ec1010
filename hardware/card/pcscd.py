"""Finding or starting pcscd with vsmartcard's vpcd driver (tests, benchmark, demo).

vpcd's reader slots are named "Virtual PCD 00 00", "Virtual PCD 00 01", ...; slot n waits for a
virtual card on TCP port 35963 + n (Debian's ``/etc/reader.conf.d/vpcd``).

Those ports lie inside Linux's ephemeral range (32768-60999): any outgoing connection on the
machine (a database client, say) may be given one as its local port. vpcd then cannot listen, and
pcscd comes up without a single vpcd reader (seen once in CI). So pcscd is started only once the
ports are free, and again if a port was taken while it started; ``scripts/bootstrap.sh`` also
reserves them (``net.ipv4.ip_local_reserved_ports``) where it may.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass

from hardware.card.errors import CardError
from hardware.card.pcsc import PcscContext

VPCD_READER_PREFIX = "Virtual PCD"
VPCD_BASE_PORT = 35963
# Debian's vsmartcard-vpcd is built with two slots: ports 35963 and 35964.
VPCD_PORTS = (VPCD_BASE_PORT, VPCD_BASE_PORT + 1)
# How long one pcscd gets to offer its vpcd reader before it is restarted (it takes well under a
# second on an idle machine, a few on a loaded one).
READER_WAIT_SECONDS = 8.0


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


def vpcd_ports_in_use() -> list[int]:
    """The vpcd ports another socket holds, probed the way vpcd binds them (SO_REUSEADDR, all
    addresses). A live connection using the port counts, and so does its TIME_WAIT when the
    connection closed first on our side (about a minute): vpcd cannot listen then either."""
    in_use = []
    for port in VPCD_PORTS:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                # Never listens: closed at once. vpcd binds every address, so the probe does.
                probe.bind(("0.0.0.0", port))  # noqa: S104
            except OSError:
                in_use.append(port)
    return in_use


def start_pcscd(timeout: float = 90.0) -> subprocess.Popen[bytes] | None:
    """Start pcscd in the foreground as our child unless one already runs (then None).

    Raises RuntimeError when pcscd is missing or does not come up with a vpcd reader.
    """
    if service_available():
        return None
    executable = shutil.which("pcscd") or shutil.which("pcscd", path="/usr/sbin:/usr/local/sbin")
    if executable is None:
        raise RuntimeError("pcscd is not installed (Debian: apt-get install pcscd vsmartcard-vpcd)")
    deadline = time.monotonic() + timeout
    while True:
        _wait_for_free_vpcd_ports(deadline)
        process = _launch_pcscd(executable)
        if _offers_a_vpcd_reader(process, min(deadline, time.monotonic() + READER_WAIT_SECONDS)):
            return process
        stop_pcscd(process)
        if time.monotonic() >= deadline:
            raise RuntimeError(_no_reader_message())


def _wait_for_free_vpcd_ports(deadline: float) -> None:
    while vpcd_ports_in_use() and time.monotonic() < deadline:
        time.sleep(0.2)


def _launch_pcscd(executable: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [executable, "--foreground"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _offers_a_vpcd_reader(process: subprocess.Popen[bytes], deadline: float) -> bool:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"pcscd exited with {process.returncode}: {stderr.strip()}")
        if vpcd_slots():
            return True
        time.sleep(0.1)
    return False


def _no_reader_message() -> str:
    taken = vpcd_ports_in_use()
    if taken:
        ports = ", ".join(str(port) for port in taken)
        return (
            f"pcscd started but offers no vpcd reader: vpcd's port {ports} is held by another "
            "socket (reserve 35963-35964 with sysctl net.ipv4.ip_local_reserved_ports)"
        )
    return "pcscd started but offers no vpcd reader (is vsmartcard-vpcd installed?)"


def stop_pcscd(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
