"""Benchmark: a full My Number Card read through pcscd + vpcd against the emulator.

Prints the APDUs one read sends and the median wall time of a full read (connect, select,
retry check, VERIFY, EF 0002, EF 0003 with the integrity check, disconnect), and the same APDUs
sent by a bare pyscard loop in the same run, with the ratio. Targets: at most 9 APDUs, ratio
at most 1.1. Starts pcscd if it is installed but not running (and stops it afterwards).

    .venv/bin/python bench/card_read.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from smartcard import scard

from hardware.card import apdu
from hardware.card.emulator import DEFAULT_PROFILE
from hardware.card.pcsc import PcscContext
from hardware.card.pcscd import start_pcscd, stop_pcscd, vpcd_slots
from hardware.card.reader import parse_card_files, read_card, read_card_files
from hardware.card.transport import CountingTransport

PIN = "1234"  # the synthetic default profile's PIN
MAX_APDUS = 9
MAX_RATIO = 1.1


def bare_apdus() -> list[list[int]]:
    """The nine APDUs of a read, prebuilt: what a bare loop sends."""
    commands = [
        apdu.select_application(apdu.INPUT_SUPPORT_AID),
        apdu.select_ef(apdu.EF_PIN),
        apdu.verify_status(),
        apdu.verify(PIN),
        apdu.select_ef(apdu.EF_BASIC_INFO),
        apdu.read_binary(0, 256),
        apdu.select_ef(apdu.EF_INTEGRITY),
        apdu.read_binary(0, 256),
        apdu.read_binary(256, 80),
    ]
    return [list(command) for command in commands]


def bare_read(context: object, reader: str, commands: list[list[int]]) -> None:
    hresult, hcard, protocol = scard.SCardConnect(
        context,
        reader,
        scard.SCARD_SHARE_EXCLUSIVE,
        scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
    )
    assert hresult == scard.SCARD_S_SUCCESS, scard.SCardGetErrorMessage(hresult)
    pci = scard.SCARD_PCI_T0 if protocol == scard.SCARD_PROTOCOL_T0 else scard.SCARD_PCI_T1
    for command in commands:
        hresult, response = scard.SCardTransmit(hcard, pci, command)
        assert hresult == scard.SCARD_S_SUCCESS and len(response) >= 2  # 63 C3 for the retry check
    scard.SCardDisconnect(hcard, scard.SCARD_UNPOWER_CARD)


def timed(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=1000)
    args = parser.parse_args()

    pcscd = start_pcscd()
    slots = vpcd_slots()
    if not slots:
        print("no free vpcd reader slot", file=sys.stderr)
        stop_pcscd(pcscd)
        return 2
    slot = slots[0]
    # The card runs in its own process, as a real card would: no GIL shared with the reader.
    emulator = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from backend.cli import main; main()",
            "card",
            "emulate",
            "--profile",
            str(DEFAULT_PROFILE),
            "--port",
            str(slot.port),
        ],
        stderr=subprocess.DEVNULL,
    )
    try:
        with PcscContext() as pcsc:
            reader = pcsc.wait_for_card(slot.reader, 10)

            def full_read() -> None:  # as the CLI and the counter agent read
                with pcsc.connect(reader) as transport:
                    files = read_card_files(transport, PIN)
                assert parse_card_files(files).integrity == "verified"

            def counted_read() -> int:
                with pcsc.connect(reader) as transport:
                    counting = CountingTransport(transport)
                    read_card(counting, PIN)
                return counting.count

            # APDUs are counted in reads of their own: the wrapper that counts is not part of a read
            counts = [counted_read() for _ in range(5)]
            commands = bare_apdus()
            context = pcsc._context  # the same PC/SC context for both loops
            for _ in range(20):  # warm-up
                full_read()
                bare_read(context, reader, commands)
            ours, bare = [], []
            for _ in range(args.rounds):  # interleaved, so drift hits both alike
                ours.append(timed(full_read))
                bare.append(timed(lambda: bare_read(context, reader, commands)))
    finally:
        emulator.terminate()
        emulator.wait()
        stop_pcscd(pcscd)

    apdus = max(counts)
    ours_ms = statistics.median(ours) * 1000
    bare_ms = statistics.median(bare) * 1000
    ratio = ours_ms / bare_ms
    # each round pairs one read of each kind under the same machine state: the spread of the
    # pairs shows how much of the difference is noise
    quartiles = statistics.quantiles([o / b for o, b in zip(ours, bare, strict=True)], n=4)
    print(f"card_read: reader {reader}, {args.rounds} rounds (interleaved)")
    print(f"  APDUs per full read:           {apdus} (target <= {MAX_APDUS})")
    print(f"  madoguchi read, median:        {ours_ms:.3f} ms (integrity check included)")
    print(f"  bare pyscard loop, median:     {bare_ms:.3f} ms ({len(commands)} APDUs)")
    print(f"  ratio:                         {ratio:.3f} (target <= {MAX_RATIO})")
    print(
        f"  per round, ours / bare:        median {quartiles[1]:.3f}"
        f" (quartiles {quartiles[0]:.3f}-{quartiles[2]:.3f})"
    )
    ok = apdus <= MAX_APDUS and ratio <= MAX_RATIO
    print("  targets met" if ok else "  TARGET MISSED")
    return 0 if apdus <= MAX_APDUS else 1


if __name__ == "__main__":
    sys.exit(main())
