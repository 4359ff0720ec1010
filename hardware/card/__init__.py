"""My Number Card (券面事項入力補助AP) over PC/SC: reader, emulator, errors.

Entry points: :func:`read_card` with any :class:`Transport` (or :func:`read_card_files` inside
a connection and :func:`parse_card_files` after it); :class:`PcscContext` for real readers
(``wait_for_card``, ``connect``), :func:`list_readers`, :func:`watch_cards`;
:func:`start_emulator` for a virtual card on vsmartcard's vpcd.
"""

from hardware.card.errors import CardError
from hardware.card.reader import CardReadResult, parse_card_files, read_card, read_card_files
from hardware.card.transport import ScriptedTransport, Transport

__all__ = [
    "CardError",
    "CardReadResult",
    "ScriptedTransport",
    "Transport",
    "parse_card_files",
    "read_card",
    "read_card_files",
]
