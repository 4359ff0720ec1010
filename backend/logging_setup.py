"""Logging for every process, with a filter that masks 個人番号-like digit runs."""

from __future__ import annotations

import logging
import re

# 12 digits, optionally grouped 4-4-4 by spaces or hyphens: the shape of a 個人番号.
_INDIVIDUAL_NUMBER = re.compile(r"(?<!\d)\d{4}[ -]?\d{4}[ -]?\d{4}(?!\d)")


def mask_individual_numbers(text: str) -> str:
    return _INDIVIDUAL_NUMBER.sub("************", text)


class MaskPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_individual_numbers(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskPersonalDataFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
