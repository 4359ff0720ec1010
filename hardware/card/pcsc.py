"""PC/SC through pyscard: list readers, wait for a card, connect, and watch insertions.

Uses pyscard's thin ``smartcard.scard`` layer so every PC/SC result code is mapped to a
:class:`CardError` here and nowhere else. A connection is opened per read, exclusive (so
nothing else talks to the card in between), and closed with the card unpowered (so a successful
VERIFY never outlives the read).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

from smartcard import scard

from hardware.card.errors import (
    CardCommunicationError,
    CardError,
    CardRemoved,
    NoCard,
    NoReader,
    PcscUnavailable,
)

_SERVICE_DOWN = {
    scard.SCARD_E_NO_SERVICE,
    scard.SCARD_E_SERVICE_STOPPED,
    getattr(scard, "SCARD_E_NO_READERS_AVAILABLE", 0),
}
_CARD_GONE = {
    scard.SCARD_W_REMOVED_CARD,
    scard.SCARD_E_NO_SMARTCARD,
    scard.SCARD_W_RESET_CARD,
    scard.SCARD_W_UNPOWERED_CARD,
    scard.SCARD_W_UNRESPONSIVE_CARD,
    scard.SCARD_E_NOT_TRANSACTED,
    scard.SCARD_E_READER_UNAVAILABLE,
    scard.SCARD_E_UNKNOWN_READER,
    scard.SCARD_E_INVALID_HANDLE,
}
_POLL_MS = 250


@dataclass(frozen=True)
class ReaderInfo:
    name: str
    card_present: bool
    atr: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "card_present": self.card_present, "atr": self.atr}


def _error_text(hresult: int) -> str:
    try:
        return str(scard.SCardGetErrorMessage(hresult))
    except Exception:  # pragma: no cover - only for the message
        return hex(hresult & 0xFFFFFFFF)


class PcscTransport:
    """One exclusive card connection, used as ``with pcsc.connect(reader) as transport:``.

    ``transmit`` maps PC/SC failures to card errors; leaving the ``with`` block disconnects with
    the card unpowered. The happy path is kept to the bare minimum: every read sends nine APDUs
    and each one waits on pcscd, so work between them is paid nine times.
    """

    __slots__ = ("_hcard", "_pci")

    def __init__(self, hcard: Any, protocol: int) -> None:
        self._hcard = hcard
        self._pci = (
            scard.SCARD_PCI_T0 if protocol == scard.SCARD_PROTOCOL_T0 else scard.SCARD_PCI_T1
        )

    def __enter__(self) -> PcscTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        scard.SCardDisconnect(self._hcard, scard.SCARD_UNPOWER_CARD)

    def transmit(self, apdu: bytes) -> bytes:
        hresult, response = scard.SCardTransmit(self._hcard, self._pci, list(apdu))
        if hresult != scard.SCARD_S_SUCCESS or len(response) < 2:
            raise _transmit_error(hresult)
        return bytes(response)


def _transmit_error(hresult: int) -> CardError:
    if hresult == scard.SCARD_S_SUCCESS or hresult in _CARD_GONE:
        # No status word at all: the link to the card broke mid-command (vpcd answers this way
        # when the card goes away; contactless readers when the card is lifted).
        return CardRemoved()
    return CardCommunicationError(
        f"カードとの通信に失敗しました ({_error_text(hresult)})。"
        "カードを置き直して、もう一度お試しください。"
    )


def _establish_context() -> Any:
    try:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    except Exception as exc:  # the library itself missing or broken
        raise PcscUnavailable() from exc
    if hresult != scard.SCARD_S_SUCCESS:
        raise PcscUnavailable()
    return context


class PcscContext:
    """A PC/SC context: open it with ``with PcscContext() as pcsc:``."""

    def __init__(self) -> None:
        self._context: Any = None

    def __enter__(self) -> PcscContext:
        self._context = _establish_context()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._context is not None:
            scard.SCardReleaseContext(self._context)
            self._context = None

    def reader_names(self) -> list[str]:
        hresult, readers = scard.SCardListReaders(self._context, [])
        if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
            return []
        if hresult in _SERVICE_DOWN:
            raise PcscUnavailable()
        if hresult != scard.SCARD_S_SUCCESS:
            raise PcscUnavailable(
                f"カードリーダーの一覧を取得できません ({_error_text(hresult)})。"
            )
        return list(readers)

    def _states(self, names: list[str], timeout_ms: int, previous: Any = None) -> Any:
        states = previous or [(name, scard.SCARD_STATE_UNAWARE) for name in names]
        hresult, new_states = scard.SCardGetStatusChange(self._context, timeout_ms, states)
        if hresult == scard.SCARD_E_TIMEOUT:
            return states
        if hresult in _SERVICE_DOWN:
            raise PcscUnavailable()
        if hresult != scard.SCARD_S_SUCCESS:
            raise NoReader(f"カードリーダーの状態を取得できません ({_error_text(hresult)})。")
        # acknowledge the new states, so the next call waits for a real change
        return [(name, state & ~scard.SCARD_STATE_CHANGED, atr) for name, state, atr in new_states]

    def readers(self) -> list[ReaderInfo]:
        names = self.reader_names()
        if not names:
            return []
        infos = []
        for name, state, atr in self._states(names, 0):
            present = bool(state & scard.SCARD_STATE_PRESENT) and not state & scard.SCARD_STATE_MUTE
            infos.append(
                ReaderInfo(name, present, bytes(atr).hex(" ").upper() if present else None)
            )
        return infos

    def matching_readers(self, substring: str | None) -> list[str]:
        names = self.reader_names()
        if substring:
            names = [n for n in names if substring.casefold() in n.casefold()]
        if not names:
            detail = f"「{substring}」を名前に含む" if substring else ""
            raise NoReader(
                f"{detail}カードリーダーが見つかりません。リーダーの接続を確認してください。"
            )
        return names

    def wait_for_card(self, substring: str | None = None, timeout: float = 10.0) -> str:
        """The first matching reader with a card, waiting up to ``timeout`` seconds."""
        names = self.matching_readers(substring)
        deadline = time.monotonic() + max(0.0, timeout)
        states = None
        while True:
            states = self._states(names, 0 if states is None else _POLL_MS, states)
            for name, state, _atr in states:
                if state & scard.SCARD_STATE_PRESENT and not state & scard.SCARD_STATE_MUTE:
                    return str(name)
            if time.monotonic() >= deadline:
                raise NoCard(
                    f"{timeout:g} 秒待ちましたが、カードが置かれませんでした。"
                    "マイナンバーカードをリーダーに置いてから、もう一度お試しください。"
                )

    def connect(self, reader: str) -> PcscTransport:
        """An exclusive connection to the card in ``reader``: use it in a ``with`` block."""
        hresult, hcard, protocol = scard.SCardConnect(
            self._context,
            reader,
            scard.SCARD_SHARE_EXCLUSIVE,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        if hresult == scard.SCARD_E_SHARING_VIOLATION:
            raise CardCommunicationError(
                "別のアプリケーションがカードを使用中です。そのアプリケーションを閉じてください。"
            )
        if hresult != scard.SCARD_S_SUCCESS:
            if hresult in _CARD_GONE:
                raise CardRemoved()
            raise CardCommunicationError(
                f"カードに接続できません ({_error_text(hresult)})。カードを置き直してください。"
            )
        return PcscTransport(hcard, protocol)


def list_readers() -> list[ReaderInfo]:
    with PcscContext() as pcsc:
        return pcsc.readers()


# --- insertions and removals, for the counter agent ------------------------------------------


@dataclass(frozen=True)
class CardEvent:
    kind: Literal["inserted", "removed"]
    reader: str
    atr: str


PNP_NOTIFICATION = "\\\\?PnP?\\Notification"  # the special reader: readers plugged in or out
_CANCEL_REPEAT_SECONDS = 0.05
_RETRY_SECONDS = 0.5  # after a PC/SC error (service restarting, reader vanishing) in the watcher


def _card_in(state: int) -> bool:
    return bool(state & scard.SCARD_STATE_PRESENT) and not state & scard.SCARD_STATE_MUTE


class CardWatcher:
    """A thread blocked in ``SCardGetStatusChange`` on a PC/SC context of its own.

    Each insertion or removal is handed to ``report`` (called on the watcher thread). ``stop()``
    wakes the thread with ``SCardCancel``, joins it and releases the context, so nothing of the
    watcher outlives it (pyscard's CardMonitor keeps a thread and a context until interpreter
    exit, and complains then if pcscd has gone).
    """

    def __init__(self, report: Callable[[CardEvent], None]) -> None:
        self._report = report
        self._stopping = threading.Event()
        self._context: Any = None
        self._thread = threading.Thread(target=self._run, name="card-watcher", daemon=True)

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def start(self) -> CardWatcher:
        self._context = _establish_context()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._context is None:
            return
        while self._thread.is_alive():
            # wakes a blocked SCardGetStatusChange; a cancel sent while the thread is between two
            # calls is lost (it then blocks again before seeing the flag), hence the repeat
            scard.SCardCancel(self._context)
            self._thread.join(_CANCEL_REPEAT_SECONDS)
        scard.SCardReleaseContext(self._context)
        self._context = None

    def _reader_names(self) -> list[str] | None:
        hresult, readers = scard.SCardListReaders(self._context, [])
        if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
            return []
        return list(readers) if hresult == scard.SCARD_S_SUCCESS else None

    def _run(self) -> None:
        known: dict[str, int] = {}  # reader -> last event state (0: not yet seen)
        atrs: dict[str, str] = {}  # reader -> ATR of the card in it, for its removal event
        pnp_state = scard.SCARD_STATE_UNAWARE
        while not self._stopping.is_set():
            names = self._reader_names()
            if names is None:
                self._stopping.wait(_RETRY_SECONDS)
                continue
            for gone in set(known) - set(names):  # a reader unplugged with its card
                if _card_in(known.pop(gone)):
                    self._report(CardEvent("removed", gone, atrs.pop(gone, "")))
            states = [(name, known.get(name, scard.SCARD_STATE_UNAWARE)) for name in names]
            states.append((PNP_NOTIFICATION, pnp_state))
            hresult, new_states = scard.SCardGetStatusChange(self._context, scard.INFINITE, states)
            if hresult == scard.SCARD_E_CANCELLED or self._stopping.is_set():
                return
            if hresult == scard.SCARD_E_TIMEOUT:
                continue
            if hresult != scard.SCARD_S_SUCCESS:
                self._stopping.wait(_RETRY_SECONDS)
                continue
            for name, state, atr in new_states:
                state &= ~scard.SCARD_STATE_CHANGED  # acknowledged: wait for a real change
                if name == PNP_NOTIFICATION:
                    pnp_state = state
                else:
                    self._compare(name, known.get(name, 0), state, atr, atrs)
                    known[name] = state

    def _compare(
        self, reader: str, before: int, after: int, atr: list[int], atrs: dict[str, str]
    ) -> None:
        was_in, now_in = _card_in(before), _card_in(after)
        # the upper 16 bits count the card events: a swap between two calls shows only there
        swapped = was_in and now_in and before >> 16 != after >> 16
        if was_in and (not now_in or swapped):
            self._report(CardEvent("removed", reader, atrs.pop(reader, "")))
        if now_in and (not was_in or swapped):
            atrs[reader] = bytes(atr).hex(" ").upper()
            self._report(CardEvent("inserted", reader, atrs[reader]))


@asynccontextmanager
async def watch_cards() -> AsyncIterator[asyncio.Queue[CardEvent]]:
    """Card insertions and removals as an asyncio queue.

    A :class:`CardWatcher` thread waits on PC/SC and hands each event to the loop with
    ``call_soon_threadsafe`` (it never touches the loop otherwise). Cards already present are
    reported as inserted first. Leaving the context stops and joins the thread.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[CardEvent] = asyncio.Queue()

    def hand_over(event: CardEvent) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, event)

    watcher = CardWatcher(hand_over).start()
    try:
        yield queue
    finally:
        watcher.stop()  # SCardCancel wakes the thread at once: the join takes milliseconds
