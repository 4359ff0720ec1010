"""Stand-in devices: a card reader holding one synthetic card, a printer that keeps bytes.

For tests and for the demo where no emulated reader is configured. The card behaves like a
My Number Card's 券面事項入力補助AP PIN: 3 tries, blocked at 0, the last try refused unless
allowed. All data is synthetic.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import contracts.agent as protocol
from hardware.agent.handlers import JobError

SYNTHETIC_CARD = {
    "name": "黒桐　幹也",
    "address": "東京都清瀬市観布子南１２－７－２０２",
    "birth_date": "19800217",
    "sex": "1",
}


class CardFailure(JobError):
    """A card read that failed the way a real card fails (code and tries left)."""


@dataclass
class FakeCardReader:
    pin: str = "1234"
    attributes: dict[str, str] = field(default_factory=lambda: dict(SYNTHETIC_CARD))
    tries_left: int = 3
    present: bool = True
    gate: threading.Event | None = None  # when set, a read waits for it (tests)
    started: threading.Event = field(default_factory=threading.Event)
    reads: int = 0

    def read_attributes(self, pin: str | None, *, allow_last_try: bool) -> protocol.CardResult:
        self.reads += 1
        self.started.set()
        if self.gate is not None:
            self.gate.wait(timeout=30)
        if not self.present:
            raise CardFailure(
                "no_card", "カードが置かれていません。カードをリーダーに置いてください。"
            )
        if self.tries_left <= 0:
            raise CardFailure("pin_blocked", "暗証番号がロックされています。", 0)
        if self.tries_left == 1 and not allow_last_try:
            raise CardFailure(
                "last_try_refused", "暗証番号の残り回数が 1 回です。確認のうえ続けてください。", 1
            )
        if pin != self.pin:
            self.tries_left -= 1
            if self.tries_left == 0:
                raise CardFailure("pin_blocked", "暗証番号がロックされました。", 0)
            raise CardFailure(
                "wrong_pin", f"暗証番号が違います。あと {self.tries_left} 回です。", self.tries_left
            )
        self.tries_left = 3
        return protocol.CardResult.model_validate(self.attributes)


@dataclass
class MemoryPrinter:
    paper: bool = True
    printed: list[bytes] = field(default_factory=list)

    def print_bytes(self, data: bytes, *, target: str) -> None:
        if not self.paper:
            raise JobError(
                "printer_out_of_paper",
                "プリンターの用紙がありません。用紙を補充してから「再印刷」を押してください。",
            )
        self.printed.append(data)
