"""A virtual My Number Card on vsmartcard's virtual reader (vpcd), driven by a profile file.

The card side of the vpcd protocol: connect to the driver (127.0.0.1:35963 for the first
"Virtual PCD" slot, 35964 for the second), then answer messages framed with a 2-byte big-endian
length. A 1-byte message is a control (0 power off, 1 power on, 2 reset, 4 send the ATR); any
other message is a command APDU. Connected means inserted; closing the socket means removed.

The card logic (:class:`EmulatedCard`) is also a :class:`~hardware.card.transport.Transport`, so
unit tests can read it without pcscd.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from contracts.parse_limits import check_json, check_yaml_events, read_text_file
from hardware.card import apdu
from hardware.card.records import (
    encode_basic_info,
    encode_integrity,
    encode_number,
    integrity_signed_data,
    parse_basic_info,
)
from hardware.card.tlv import read_tlv

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 35963
PROFILES_DIR = Path(__file__).parent / "profiles"
DEFAULT_PROFILE = PROFILES_DIR / "default.yaml"

CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0, 1, 2, 4


@dataclass
class CardProfile:
    """Holder data (synthetic!), PIN state and the faults to emulate."""

    name: str = "黒桐　幹也"
    address: str = "東京都清瀬市観布子南１２－７－２０２"
    birth_date: str = "19800217"  # as on the card: YYYYMMDD
    sex: str = "1"
    individual_number: str = "123456789018"  # synthetic, with a valid check digit
    pin: str = "1234"
    tries_left: int = 3
    max_tries: int = 3
    length_form: str = "82"  # outer length of EF 0002: "82" (real cards), "81", "short"
    corrupt_tlv: bool = False  # DF22's length overruns its parent
    wrong_digest: bool = False  # DF32 in EF 0003 does not match EF 0002
    has_input_support_ap: bool = True  # False: any other ISO card
    drop_after_apdus: int | None = None  # close the connection instead of answering APDU n+1
    atr: str = "3B E0 00 FF 81 31 FE 45 14"

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> CardProfile:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown profile keys: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {
            k: (str(v) if k in _TEXT_KEYS and v is not None else v) for k, v in data.items()
        }
        return cls(**values)


_TEXT_KEYS = {"birth_date", "sex", "individual_number", "pin", "length_form", "atr"}


def load_profile(path: Path) -> CardProfile:
    """A YAML (or JSON) profile; keys are the fields of :class:`CardProfile`.

    Refused (``ValueError``) when it is not a readable text file within the parse limits.
    """
    text = read_text_file(path)
    if path.suffix == ".json":
        check_json(text)
        data = json.loads(text)
    else:
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        check_yaml_events(yaml.parse(text, Loader=loader))
        data = yaml.load(text, Loader=loader) or {}  # noqa: S506 (a safe loader)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a profile is a mapping")
    return CardProfile.from_mapping(data)


def bundled_profile(name: str) -> CardProfile:
    """One of the synthetic test profiles shipped in ``hardware/card/profiles/``."""
    return load_profile(PROFILES_DIR / f"{name}.yaml")


@functools.lru_cache(maxsize=1)
def emulator_signing_key() -> rsa.RSAPrivateKey:
    """A throwaway RSA-2048 key per process: stands in for the issuer's key behind DF33."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _corrupt(basic_file: bytes) -> bytes:
    outer = read_tlv(basic_file, 0)
    name_pos = int.from_bytes(basic_file[outer.value_start + 3 : outer.value_start + 5], "big")
    corrupted = bytearray(basic_file)
    corrupted[name_pos + 2] = 0x83  # DF22's length now reads 3 text bytes: far past the end
    return bytes(corrupted)


def build_files(profile: CardProfile) -> dict[bytes, bytes]:
    number_file = encode_number(profile.individual_number)
    form = profile.length_form if profile.length_form in ("82", "81", "short") else "82"
    basic_file = encode_basic_info(
        profile.name,
        profile.address,
        profile.birth_date,
        profile.sex,
        form,  # type: ignore[arg-type]
    )
    region = parse_basic_info(basic_file).digest_region
    if profile.wrong_digest:
        region = region + b"\x00"
    signed = integrity_signed_data(number_file, region)
    key = emulator_signing_key()
    signature = key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if profile.corrupt_tlv:
        basic_file = _corrupt(basic_file)
    return {
        apdu.EF_NUMBER: number_file,
        apdu.EF_BASIC_INFO: basic_file,
        apdu.EF_INTEGRITY: encode_integrity(signed, signature),
        apdu.EF_CERTIFICATE: public,  # not the card's CV certificate format: a stand-in
    }


_PROTECTED_EFS = {apdu.EF_NUMBER, apdu.EF_BASIC_INFO, apdu.EF_INTEGRITY}
_SELECTABLE_EFS = {*_PROTECTED_EFS, apdu.EF_CERTIFICATE, apdu.EF_PIN}


def _sw(value: int) -> bytes:
    return value.to_bytes(2, "big")


@dataclass
class EmulatedCard:
    """The 券面事項入力補助AP with its EFs, PIN retry counter and blocking."""

    profile: CardProfile
    files: dict[bytes, bytes] = field(init=False)
    tries_left: int = field(init=False)
    verified: bool = field(default=False, init=False)
    ap_selected: bool = field(default=False, init=False)
    current_ef: bytes | None = field(default=None, init=False)
    apdu_count: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.files = build_files(self.profile)
        self.tries_left = self.profile.tries_left

    @property
    def atr(self) -> bytes:
        return bytes.fromhex(self.profile.atr.replace(" ", ""))

    def power_off(self) -> None:
        self.verified = False
        self.reset()

    def reset(self) -> None:
        """A warm reset clears the selection but not a successful VERIFY (jpki.md)."""
        self.ap_selected = False
        self.current_ef = None

    def transmit(self, command: bytes) -> bytes:
        self.apdu_count += 1
        if len(command) < 4:
            return _sw(0x6700)
        cla, ins, p1, p2 = command[:4]
        body = command[4:]
        if cla & 0x03:
            return _sw(0x6881)  # only the basic logical channel
        if cla != 0x00:
            return _sw(0x6E00)
        data, ok = _command_data(body)
        if not ok:
            return _sw(0x6700)
        if ins == 0xA4:
            return self._select(p1, data)
        if ins == 0x20:
            return self._verify(p1, p2, data)
        if ins == 0xB0:
            return self._read_binary(p1, p2, body)
        return _sw(0x6D00)

    def _select(self, p1: int, data: bytes) -> bytes:
        if p1 == 0x04:
            self.reset()
            if self.profile.has_input_support_ap and data == apdu.INPUT_SUPPORT_AID:
                self.ap_selected = True
                return _sw(apdu.SW_OK)
            return _sw(apdu.SW_FILE_NOT_FOUND)
        if p1 == 0x02:
            if not self.ap_selected or data not in _SELECTABLE_EFS:
                return _sw(apdu.SW_FILE_NOT_FOUND)
            self.current_ef = data
            return _sw(apdu.SW_OK)
        return _sw(apdu.SW_WRONG_P1P2)

    def _verify(self, p1: int, p2: int, data: bytes) -> bytes:
        if p1 != 0x00 or p2 != 0x80:
            return _sw(apdu.SW_WRONG_P1P2)
        if self.current_ef != apdu.EF_PIN:
            return _sw(0x6A88)
        if self.tries_left <= 0:
            return _sw(apdu.SW_BLOCKED)
        if not data:
            return _sw(apdu.SW_OK) if self.verified else _sw(0x63C0 | self.tries_left)
        if data == self.profile.pin.encode("ascii"):
            self.tries_left = self.profile.max_tries
            self.verified = True
            return _sw(apdu.SW_OK)
        self.tries_left -= 1
        self.verified = False
        return _sw(0x63C0 | self.tries_left)

    def _read_binary(self, p1: int, p2: int, body: bytes) -> bytes:
        if p1 & 0x80:
            return _sw(apdu.SW_WRONG_P1P2)  # short EF identifiers: not emulated
        if self.current_ef is None or self.current_ef == apdu.EF_PIN:
            return _sw(0x6986)
        if self.current_ef in _PROTECTED_EFS and not self.verified:
            return _sw(apdu.SW_SECURITY_NOT_SATISFIED)
        content = self.files[self.current_ef]
        offset = (p1 << 8) | p2
        if offset >= len(content):
            return _sw(apdu.SW_OFFSET_BEYOND_END)
        le = body[0] if len(body) == 1 else 0
        length = le or 256
        return content[offset : offset + length] + _sw(apdu.SW_OK)


def _command_data(body: bytes) -> tuple[bytes, bool]:
    """The data field of a short APDU (cases 1–4); False when the lengths do not add up."""
    if len(body) <= 1:
        return b"", True
    lc = body[0]
    if lc == 0 or len(body) not in (1 + lc, 2 + lc):
        return b"", False
    return body[1 : 1 + lc], True


_QUICKACK = getattr(socket, "TCP_QUICKACK", None)


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = b""
    while len(chunks) < size:
        if _QUICKACK is not None:
            # vpcd writes the length and the message separately; without an immediate ACK,
            # Nagle on its side and delayed ACK on ours add 40 ms to every APDU.
            sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("vpcd closed the connection")
        chunks += chunk
    return chunks


class VpcdEmulator:
    """Plugs an :class:`EmulatedCard` into vpcd until stopped (or dropped, as profiled)."""

    def __init__(
        self,
        card: EmulatedCard,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        *,
        reconnect: bool = True,
    ) -> None:
        self.card = card
        self.host = host
        self.port = port
        self.reconnect = reconnect
        self.stop_event = threading.Event()
        self.connected = threading.Event()
        self.dropped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> VpcdEmulator:
        self._thread = threading.Thread(target=self.run, name="card-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Remove the card: close the connection and end the thread."""
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def run(self) -> None:
        while not self.stop_event.is_set():
            sock = self._connect()
            if sock is None:
                return
            with sock:
                self.connected.set()
                self._serve(sock)
                self.connected.clear()
            self.card.power_off()  # pulled out: the card loses power
            if not self.reconnect or self.dropped.is_set():
                return

    def _connect(self) -> socket.socket | None:
        while not self.stop_event.is_set():
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1)
            except OSError:
                self.stop_event.wait(0.2)
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(None)
            return sock
        return None

    def _serve(self, sock: socket.socket) -> None:
        answered = 0
        while not self.stop_event.is_set():
            readable, _, _ = select.select([sock], [], [], 0.2)
            if not readable:
                continue
            try:
                (size,) = struct.unpack("!H", _recv_exact(sock, 2))
                message = _recv_exact(sock, size)
            except (ConnectionError, OSError):
                return
            if size == 1:
                reply = self._control(message[0])
            else:
                limit = self.card.profile.drop_after_apdus
                if limit is not None and answered >= limit:
                    self.dropped.set()
                    return  # the card is pulled out mid-read
                reply = self.card.transmit(message)
                answered += 1
            if reply is not None:
                with contextlib.suppress(OSError):
                    sock.sendall(struct.pack("!H", len(reply)) + reply)

    def _control(self, code: int) -> bytes | None:
        if code == CTRL_OFF:
            self.card.power_off()
        elif code == CTRL_RESET:
            self.card.reset()
        elif code == CTRL_ATR:
            return self.card.atr
        return None  # CTRL_ON: nothing to answer

    def wait_connected(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.connected.wait(0.1):
                return True
        return False


def start_emulator(
    profile: CardProfile | Path | None = None,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    reconnect: bool = True,
) -> VpcdEmulator:
    """Start a virtual card in a background thread (the default profile when none is given)."""
    if profile is None:
        profile = DEFAULT_PROFILE
    if isinstance(profile, Path):
        profile = load_profile(profile)
    return VpcdEmulator(EmulatedCard(profile), host, port, reconnect=reconnect).start()


__all__ = [
    "DEFAULT_PORT",
    "DEFAULT_PROFILE",
    "CardProfile",
    "EmulatedCard",
    "VpcdEmulator",
    "bundled_profile",
    "load_profile",
    "start_emulator",
]
