"""The messages between an agent and the backend (JSON objects, one per WebSocket message).

agent → backend
    ``{"type": "hello", "version": 1, "kinds": [...], "results": [<result>...],
    "running": [job ids]}`` first, on every (re)connection: results not yet acknowledged ride
    along, so a result finished while offline is delivered on reconnect.
    ``{"type": "result", "job_id": ID, "ok": true, "result": {...}}`` or
    ``{"type": "result", "job_id": ID, "ok": false, "error": {"code", "message", ...}}``
    ``{"type": "pong"}``
backend → agent
    ``{"type": "job", "job_id": ID, "kind": "read_card" | "print", "params": {...},
    "data_b64": "..."}`` — sent again after a reconnect until a result is stored.
    ``{"type": "ack", "job_id": ID}`` — the result is stored; the agent may forget it.
    ``{"type": "ping"}``

A PIN travels only inside ``params["pin"]`` of a ``read_card`` job and is never logged.
"""

from __future__ import annotations

from typing import Any, Final

VERSION: Final = 1

Message = dict[str, Any]

JOB: Final = "job"
ACK: Final = "ack"
PING: Final = "ping"
PONG: Final = "pong"
HELLO: Final = "hello"
RESULT: Final = "result"

READ_CARD: Final = "read_card"
PRINT: Final = "print"


def hello(kinds: list[str], results: list[Message], running: list[str]) -> Message:
    return {
        "type": HELLO,
        "version": VERSION,
        "kinds": kinds,
        "results": results,
        "running": running,
    }


def ok(job_id: str, result: dict[str, Any]) -> Message:
    return {"type": RESULT, "job_id": job_id, "ok": True, "result": result}


def failed(job_id: str, error: dict[str, Any]) -> Message:
    return {"type": RESULT, "job_id": job_id, "ok": False, "error": error}


def masked(message: Message) -> Message:
    """A copy safe to log: no PIN, no bytes, no card data."""
    safe = {k: v for k, v in message.items() if k not in ("data_b64", "result")}
    if isinstance(message.get("params"), dict):
        safe["params"] = {k: ("****" if k == "pin" else v) for k, v in message["params"].items()}
    if "results" in message:
        safe["results"] = [r.get("job_id") for r in message["results"]]
    return safe
