"""Logging for every process, through one filter that keeps personal data out of the logs.

``MaskPersonalDataFilter`` sits on every handler (the root's and, through ``logging_config``,
uvicorn's access and error loggers, which propagate to it). It masks 個人番号-like digit runs,
住民票コード-like runs and phone numbers, drops the query string of every logged URL or path (a
GET's query can carry names and addresses, an old kiosk link a device token), and removes SQL
parameter dumps and PostgreSQL ``DETAIL`` lines (which quote the refused values) and pydantic's
``input_value`` from messages and tracebacks.
"""

from __future__ import annotations

import logging
import logging.config
import re
import sys
from typing import Any

from backend.platform.settings import Settings, get_settings

# 12 digits, optionally grouped 4-4-4 by spaces or hyphens: the shape of a 個人番号.
_INDIVIDUAL_NUMBER = re.compile(r"(?<!\d)\d{4}[ -]?\d{4}[ -]?\d{4}(?!\d)")


# 11 digits: a 住民票コード (a core system's URL carries it: "/v1/residents/99100700011"), or a
# mobile number written without hyphens.
_RESIDENT_CODE = re.compile(r"(?<!\d)\d{11}(?!\d)")

# Japanese phone numbers (0X0-XXXX-XXXX, 03-XXXX-XXXX…), hyphenated.
_PHONE = re.compile(r"(?<!\d)0\d{1,4}-\d{1,4}-\d{3,4}(?!\d)")

# A path or URL followed by a query string: "/api/v1/core/lookup?name=…" → "/api/v1/core/lookup".
_QUERY_STRING = re.compile(r"((?:https?://[^\s/?#\"']+)?/[^\s?#\"']*)\?[^\s#\"']*")

# SQLAlchemy's "[parameters: …]" (an engine without hide_parameters) and PostgreSQL's
# "DETAIL:  Key (name)=(value) already exists." carry the values of the statement.
_SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*")
_PG_DETAIL = re.compile(r"^(\s*DETAIL:)[^\n]*", re.MULTILINE)
# pydantic's ValidationError quotes the refused input: "[type=…, input_value='…', input_type=str]".
_PYDANTIC_INPUT = re.compile(r"input_value=.*?, input_type=")

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def mask_individual_numbers(text: str) -> str:
    text = _INDIVIDUAL_NUMBER.sub("************", text)
    return _RESIDENT_CODE.sub("***********", text)


def strip_query_strings(text: str) -> str:
    return _QUERY_STRING.sub(r"\1", text)


def hide_sql_values(text: str) -> str:
    text = _SQL_PARAMETERS.sub("[SQL parameters hidden]", text)
    text = _PYDANTIC_INPUT.sub("input_value=(hidden), input_type=", text)
    return _PG_DETAIL.sub(r"\1 (hidden)", text)


def mask_personal_data(text: str) -> str:
    """What a filter can recognise by shape: 個人番号-like runs, phone numbers, query strings
    and SQL parameter dumps.

    Names and addresses have no shape: code never logs them (ids only), and the test suite's
    log scan (tests/security_logscan.py) checks that it does not.
    """
    text = hide_sql_values(strip_query_strings(text))
    return _PHONE.sub("***-****-****", mask_individual_numbers(text))


class MaskPersonalDataFilter(logging.Filter):
    """Masks the message, and the traceback text too (exception messages carry values)."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access":
            _path_only(record)
        _frame_without_data(record)
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


def _frame_without_data(record: logging.LogRecord) -> None:
    """A WebSocket frame logged at DEBUG (websockets' ``"> %s"`` / ``"< %s"``, on the server
    through ``uvicorn.error``): its kind and size only. Its text is an agent job or result: a
    card read's PIN on the way out, the card's attributes on the way back."""
    args = record.args
    if record.msg not in ("> %s", "< %s") or not isinstance(args, tuple) or len(args) != 1:
        return
    frame = args[0]
    opcode, data = getattr(frame, "opcode", None), getattr(frame, "data", None)
    if opcode is not None and isinstance(data, bytes | bytearray | memoryview):
        kind = getattr(opcode, "name", str(opcode))
        record.msg, record.args = "%s %s frame [%d bytes]", (record.msg[0], kind, len(data))


def _path_only(record: logging.LogRecord) -> None:
    """uvicorn's access line: (client, method, path with query, http version, status)."""
    args = record.args
    if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
        record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])


class CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record is emitted, not when logging was set
    up: a command run inside another program (a test's CliRunner) swaps stderr for a buffer it
    closes afterwards, while background threads (websockets, the notifier) keep logging."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """One stderr handler with the filter; uvicorn's loggers propagate to it (``log_config``
    of ``uvicorn.run``, so worker processes configure themselves the same way)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"mask": {"()": "backend.platform.logging_setup.MaskPersonalDataFilter"}},
        "formatters": {"plain": {"format": FORMAT}},
        "handlers": {
            "stderr": {
                "class": "backend.platform.logging_setup.CurrentStderrHandler",
                "formatter": "plain",
                "filters": ["mask"],
            }
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            name: {"handlers": [], "propagate": True, "level": level.upper()}
            for name in UVICORN_LOGGERS
        },
    }


def configure_logging(level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(level))


def configure_for_command() -> Settings:
    """The start of a CLI command: the settings, and logging at their level through the filter."""
    settings = get_settings()
    configure_logging(settings.log_level)
    return settings
