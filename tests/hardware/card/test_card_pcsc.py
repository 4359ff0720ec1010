"""Through the real stack: pcscd + vpcd + the emulated card + pyscard, and the CLI contract."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from hardware.card.emulator import VpcdEmulator, bundled_profile
from hardware.card.errors import CardRemoved, NoCard, NoReader
from hardware.card.pcsc import PcscContext, list_readers, watch_cards
from hardware.card.pcscd import VpcdSlot
from hardware.card.reader import read_card
from hardware.card.transport import CountingTransport

pytestmark = pytest.mark.pcsc

StartCard = Callable[..., VpcdEmulator]


def cli(*args: str, pin: str | None = None, env: dict[str, str] | None = None) -> tuple[int, Any]:
    command = [sys.executable, "-c", "from backend.cli import main; main()", *args]
    done = subprocess.run(
        command,
        input=None if pin is None else f"{pin}\n",
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
    body = json.loads(done.stdout) if done.stdout.strip().startswith(("{", "[")) else done.stdout
    return done.returncode, body


def read_json(slot: VpcdSlot, pin: str, *extra: str) -> tuple[int, Any]:
    return cli(
        "card",
        "read",
        "--json",
        "--pin-stdin",
        "--reader",
        slot.reader,
        "--timeout",
        "5",
        *extra,
        pin=pin,
    )


def test_readers_lists_vpcd_with_and_without_a_card(
    start_card: StartCard, vpcd_slot: VpcdSlot
) -> None:
    code, body = cli("card", "readers", "--json")
    assert code == 0
    assert {"name": vpcd_slot.reader, "card_present": False, "atr": None} in body
    start_card(bundled_profile("default"))
    present = {r.name: r for r in list_readers()}[vpcd_slot.reader]
    assert present.card_present and present.atr == "3B E0 00 FF 81 31 FE 45 14"


def test_a_full_read_through_pcscd(start_card: StartCard, vpcd_slot: VpcdSlot) -> None:
    start_card(bundled_profile("default"))
    code, body = read_json(vpcd_slot, "1234")
    assert (code, body) == (
        0,
        {
            "name": "黒桐\u3000幹也",
            "address": "東京都清瀬市観布子南１２－７－２０２",
            "birth_date": "1980-02-17",
            "sex": "1",
            "sex_label": "男",
            "integrity": "verified",
        },
    )


def test_nine_apdus_and_power_off_after_each_read(
    start_card: StartCard, vpcd_slot: VpcdSlot
) -> None:
    emulator = start_card(bundled_profile("default"))
    with PcscContext() as pcsc:
        reader = pcsc.wait_for_card(vpcd_slot.reader, 5)
        with pcsc.connect(reader) as transport:
            counting = CountingTransport(transport)
            read_card(counting, "1234")
    assert counting.count == 9
    # Disconnected with the card unpowered: pcscd passes the power-off to vpcd, and so to the
    # emulator, after the disconnect returns (later still on a busy machine).
    deadline = time.monotonic() + 10
    while emulator.card.verified and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not emulator.card.verified


def test_with_number_only_in_the_json_field(start_card: StartCard, vpcd_slot: VpcdSlot) -> None:
    start_card(bundled_profile("default"))
    code, body = read_json(vpcd_slot, "1234", "--with-number")
    assert code == 0 and body["individual_number"] == "123456789018"
    code, text = cli(
        "card", "read", "--pin-stdin", "--reader", vpcd_slot.reader, "--with-number", pin="1234"
    )
    assert code == 0 and "123456789018" not in text and "************" in text


def test_long_form_lengths_and_variant_ideographs(
    start_card: StartCard, vpcd_slot: VpcdSlot
) -> None:
    emulator = start_card(bundled_profile("variant-ideographs"))
    code, body = read_json(vpcd_slot, "0000")
    assert code == 0
    assert body["name"] == "\u9ad9\ufa11\u3000\U00020bb7\ufa30"
    assert body["sex_label"] == "適用不能"
    emulator.stop()
    start_card(bundled_profile("long-address"))
    code, body = read_json(vpcd_slot, "5678")
    assert code == 0 and body["address"].endswith("北側の角部屋")


@pytest.mark.parametrize(
    ("profile", "pin", "exit_code", "error_code", "retries_left"),
    [
        ("default", "9999", 13, "wrong_pin", 2),
        ("one-try-left", "1234", 15, "last_try_refused", 1),
        ("blocked", "1234", 14, "pin_blocked", 0),
        ("no-ap", "1234", 12, "not_my_number_card", None),
        ("corrupt-tlv", "1234", 17, "data_malformed", None),
        ("wrong-digest", "1234", 17, "integrity_failed", None),
        ("removed-mid-read", "1234", 16, "card_removed", None),
    ],
)
def test_each_error_has_its_exit_code(
    start_card: StartCard,
    vpcd_slot: VpcdSlot,
    profile: str,
    pin: str,
    exit_code: int,
    error_code: str,
    retries_left: int | None,
) -> None:
    start_card(bundled_profile(profile), reconnect=False)
    code, body = read_json(vpcd_slot, pin)
    assert code == exit_code
    assert body["error"]["code"] == error_code
    assert body["error"].get("retries_left") == retries_left
    assert body["error"]["message"]  # Japanese text for the clerk
    assert pin not in json.dumps(body)


def test_blocked_message_sends_to_the_municipal_counter(
    start_card: StartCard, vpcd_slot: VpcdSlot
) -> None:
    emulator = start_card(bundled_profile("blocked"))
    _code, body = read_json(vpcd_slot, "1234")
    assert "マイナンバーカード窓口" in body["error"]["message"]
    assert emulator.card.apdu_count == 3  # select AP, select PIN EF, retry check: no PIN sent


def test_last_try_allowed(start_card: StartCard, vpcd_slot: VpcdSlot) -> None:
    start_card(bundled_profile("one-try-left"))
    code, body = read_json(vpcd_slot, "1234", "--allow-last-try")
    assert code == 0 and body["name"] == "黒桐\u3000鮮花"


def test_removed_mid_read_gives_no_partial_data(start_card: StartCard, vpcd_slot: VpcdSlot) -> None:
    card = bundled_profile("default")
    card.drop_after_apdus = 7  # after EF 0002 was read, before the integrity record
    emulator = start_card(card, reconnect=False)
    with PcscContext() as pcsc, pytest.raises(CardRemoved):
        reader = pcsc.wait_for_card(vpcd_slot.reader, 5)
        with pcsc.connect(reader) as transport:
            read_card(transport, "1234")
    assert emulator.dropped.is_set()


def test_no_card_within_the_timeout(vpcd_slot: VpcdSlot) -> None:
    code, body = cli(
        "card",
        "read",
        "--json",
        "--pin-stdin",
        "--reader",
        vpcd_slot.reader,
        "--timeout",
        "0.5",
        pin="1234",
    )
    assert (code, body["error"]["code"]) == (11, "no_card")
    with PcscContext() as pcsc, pytest.raises(NoCard):
        pcsc.wait_for_card(vpcd_slot.reader, 0.2)


def test_no_such_reader(vpcd_slot: VpcdSlot) -> None:
    code, body = cli(
        "card", "read", "--json", "--pin-stdin", "--reader", "No Such Reader", pin="1234"
    )
    assert (code, body["error"]["code"]) == (10, "no_reader")
    with PcscContext() as pcsc, pytest.raises(NoReader):
        pcsc.wait_for_card("No Such Reader", 0)


def test_no_pcsc_service(tmp_path: Any, pcscd: None) -> None:
    # libpcsclite finds pcscd through this socket path: pointing it elsewhere is a stopped service
    env = {"PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm")}
    code, body = cli("card", "read", "--json", "--pin-stdin", pin="1234", env=env)
    assert (code, body["error"]["code"]) == (10, "pcsc_unavailable")
    code, body = cli("card", "readers", "--json", env=env)
    assert (code, body["error"]["code"]) == (10, "pcsc_unavailable")


def test_watch_reports_insertion_and_removal(start_card: StartCard, vpcd_slot: VpcdSlot) -> None:
    async def scenario() -> list[tuple[str, str]]:
        events: list[tuple[str, str]] = []
        async with watch_cards() as queue:
            emulator = start_card(bundled_profile("default"))
            while ("inserted", vpcd_slot.reader) not in events:
                event = await asyncio.wait_for(queue.get(), 10)
                events.append((event.kind, event.reader))
            emulator.stop()
            while ("removed", vpcd_slot.reader) not in events:
                event = await asyncio.wait_for(queue.get(), 10)
                events.append((event.kind, event.reader))
        return events

    # A loop of its own on another thread: Playwright's sync API may own this thread's loop.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        events = pool.submit(asyncio.run, scenario()).result(timeout=60)
    assert events.index(("inserted", vpcd_slot.reader)) < events.index(
        ("removed", vpcd_slot.reader)
    )


def test_watch_stops_its_thread_when_the_context_exits(
    start_card: StartCard, vpcd_slot: VpcdSlot
) -> None:
    start_card(bundled_profile("default"))

    async def scenario() -> list[threading.Thread]:
        async with watch_cards() as queue:
            event = await asyncio.wait_for(queue.get(), 10)  # the card already present
            assert (event.kind, event.reader) == ("inserted", vpcd_slot.reader)
            watchers = [t for t in threading.enumerate() if t.name == "card-watcher"]
            assert watchers and all(t.is_alive() for t in watchers)
        return watchers

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        watchers = pool.submit(asyncio.run, scenario()).result(timeout=60)
    assert not any(t.is_alive() for t in watchers)
    assert not [t for t in threading.enumerate() if t.name == "card-watcher"]
