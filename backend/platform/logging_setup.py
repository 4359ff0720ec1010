"""Logging for every process, with a filter that masks 個人番号-like digit runs."""

from __future__ import annotations

import logging
import re

# 12 digits, optionally grouped 4-4-4 by spaces or hyphens: the shape of a 個人番号.
_INDIVIDUAL_NUMBER = re.compile(r"(?<!\d)\d{4}[ -]?\d{4}[ -]?\d{4}(?!\d)")


# Japanese phone numbers (0X0-XXXX-XXXX, 03-XXXX-XXXX…), hyphenated.
_PHONE = re.compile(r"(?<!\d)0\d{1,4}-\d{1,4}-\d{3,4}(?!\d)")


def mask_individual_numbers(text: str) -> str:
    return _INDIVIDUAL_NUMBER.sub("************", text)


def mask_personal_data(text: str) -> str:
    """What a filter can recognise by shape: 個人番号-like runs and phone numbers.

    Names and addresses have no shape: code never logs them (ids only), and the test suite's
    log scan (tests/security_logscan.py) checks that it does not.
    """
    return _PHONE.sub("***-****-****", mask_individual_numbers(text))


class MaskPersonalDataFilter(logging.Filter):
    """Masks the message, and the traceback text too (exception messages carry values)."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal_data(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskPersonalDataFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
