"""The typed agent protocol: the JSON on the wire, malformed messages refused, nothing secret
in a log line or a repr."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

import contracts.agent as protocol
from hardware.agent.client import AgentClient
from hardware.agent.fakes import MemoryPrinter
from hardware.agent.handlers import Handlers

PIN = "8642"
CARD = {
    "name": "黒桐　幹也",
    "address": "東京都清瀬市観布子南",
    "birth_date": "19800217",
    "sex": "1",
}

FROM_BACKEND = [
    {
        "type": "job",
        "job_id": "c1",
        "kind": "read_card",
        "params": {"pin_at": "tablet", "allow_last_try": False, "pin": PIN},
    },
    {
        "type": "job",
        "job_id": "c2",
        "kind": "read_card",
        "params": {"pin_at": "reader", "allow_last_try": True},
    },
    {
        "type": "job",
        "job_id": "p1",
        "kind": "print",
        "params": {"target": "receipt"},
        "data_b64": "G0BB",
    },
    {
        "type": "job",
        "job_id": "p2",
        "kind": "print",
        "params": {"target": "document", "label": "visit-slip"},
        "data_b64": "JVBERi0=",
    },
    {"type": "ack", "job_id": "p1"},
    {"type": "ping"},
]
FROM_AGENT = [
    {
        "type": "hello",
        "version": 1,
        "kinds": ["read_card", "print"],
        "results": [
            {"type": "result", "job_id": "c1", "ok": True, "result": CARD},
            {
                "type": "result",
                "job_id": "p1",
                "ok": False,
                "error": {"code": "printer_out_of_paper", "message": "用紙がありません。"},
            },
        ],
        "running": ["p2"],
    },
    {"type": "result", "job_id": "p2", "ok": True, "result": {"bytes": 5}},
    {
        "type": "result",
        "job_id": "c3",
        "ok": False,
        "error": {"code": "wrong_pin", "message": "違います。", "retries_left": 2},
    },
    {"type": "pong"},
]


@pytest.mark.parametrize("raw", FROM_BACKEND, ids=lambda m: f"{m['type']}-{m.get('job_id', '')}")
def test_backend_messages_keep_their_json(raw: dict[str, Any]) -> None:
    message = protocol.parse_from_backend(json.dumps(raw, ensure_ascii=False))
    assert protocol.dump(message) == raw
    assert json.loads(protocol.encode(message)) == raw


@pytest.mark.parametrize("raw", FROM_AGENT, ids=lambda m: f"{m['type']}-{m.get('job_id', '')}")
def test_agent_messages_keep_their_json(raw: dict[str, Any]) -> None:
    message = protocol.parse_from_agent(raw)
    assert protocol.dump(message) == raw


def test_messages_are_typed() -> None:
    job = protocol.parse_from_backend(FROM_BACKEND[2])
    assert isinstance(job, protocol.PrintJob) and job.data == b"\x1b@A"
    hello = protocol.parse_from_agent(FROM_AGENT[0])
    assert isinstance(hello, protocol.Hello)
    ok, failed = hello.results
    assert isinstance(ok, protocol.ResultOk) and isinstance(ok.result, protocol.CardResult)
    assert isinstance(failed, protocol.ResultFailed) and failed.error.code == "printer_out_of_paper"
    printed = protocol.parse_from_agent(FROM_AGENT[1])
    assert isinstance(printed, protocol.ResultOk)
    assert printed.result == protocol.PrintResult(bytes=5)


MALFORMED_FROM_BACKEND = {
    "not json": "{",
    "not an object": "[1, 2]",
    "unknown type": {"type": "shutdown"},
    "unknown kind": {"type": "job", "job_id": "x1", "kind": "scan", "params": {}},
    "no job id": {"type": "job", "kind": "print", "params": {}, "data_b64": "G0BB"},
    "tablet read without a PIN": {
        "type": "job",
        "job_id": "x2",
        "kind": "read_card",
        "params": {"pin_at": "tablet"},
    },
    "PIN not 4 digits": {
        "type": "job",
        "job_id": "x3",
        "kind": "read_card",
        "params": {"pin": "86a42"},
    },
    "PIN with a pad read": {
        "type": "job",
        "job_id": "x4",
        "kind": "read_card",
        "params": {"pin_at": "reader", "pin": PIN},
    },
    "print data not base64": {"type": "job", "job_id": "x5", "kind": "print", "data_b64": "%%%"},
    "print without data": {"type": "job", "job_id": "x6", "kind": "print", "params": {}},
    "print to nowhere": {
        "type": "job",
        "job_id": "x7",
        "kind": "print",
        "params": {"target": "fax"},
        "data_b64": "G0BB",
    },
}


@pytest.mark.parametrize("raw", MALFORMED_FROM_BACKEND.values(), ids=MALFORMED_FROM_BACKEND.keys())
def test_malformed_backend_messages_are_refused(raw: str | dict[str, Any]) -> None:
    with pytest.raises(protocol.ProtocolError) as refused:
        protocol.parse_from_backend(raw)
    assert str(refused.value)  # says why
    assert PIN not in str(refused.value) and "86a42" not in str(refused.value)


def test_a_refused_job_still_names_its_id() -> None:
    with pytest.raises(protocol.ProtocolError) as refused:
        protocol.parse_from_backend(MALFORMED_FROM_BACKEND["PIN not 4 digits"])
    assert (refused.value.message_type, refused.value.job_id) == ("job", "x3")
    assert "params.pin" in str(refused.value)


MALFORMED_FROM_AGENT = {
    "a job from an agent": FROM_BACKEND[2],
    "result without ok": {"type": "result", "job_id": "p1", "result": {"bytes": 1}},
    "ok without a result": {"type": "result", "job_id": "p1", "ok": True},
    "result of no known shape": {
        "type": "result",
        "job_id": "p1",
        "ok": True,
        "result": {"name": "x"},
    },
    "failure without a code": {
        "type": "result",
        "job_id": "p1",
        "ok": False,
        "error": {"message": "x"},
    },
    "hello with a bad result": {"type": "hello", "results": [{"type": "result", "job_id": "p1"}]},
}


@pytest.mark.parametrize("raw", MALFORMED_FROM_AGENT.values(), ids=MALFORMED_FROM_AGENT.keys())
def test_malformed_agent_messages_are_refused(raw: dict[str, Any]) -> None:
    with pytest.raises(protocol.ProtocolError):
        protocol.parse_from_agent(raw)


def test_an_error_never_quotes_card_data() -> None:
    card = dict(CARD, sex=1)  # wrong type: refused, and the name must not be in the error
    with pytest.raises(protocol.ProtocolError) as refused:
        protocol.parse_from_agent({"type": "result", "job_id": "c1", "ok": True, "result": card})
    assert CARD["name"] not in str(refused.value) and CARD["address"] not in str(refused.value)


def test_no_pin_bytes_or_card_data_in_masked_or_repr() -> None:
    read = protocol.parse_from_backend(FROM_BACKEND[0])
    printing = protocol.parse_from_backend(FROM_BACKEND[2])
    hello = protocol.parse_from_agent(FROM_AGENT[0])
    assert protocol.masked(read)["params"] == {
        "pin_at": "tablet",
        "allow_last_try": False,
        "pin": "****",
    }
    assert "data_b64" not in protocol.masked(printing)
    assert protocol.masked(hello)["results"] == ["c1", "p1"]
    for message in (read, printing, hello):
        for shown in (repr(message), str(message), str(protocol.masked(message))):
            assert PIN not in shown and "G0BB" not in shown and "\\x1b" not in shown
            assert not any(value in shown for value in CARD.values() if len(value) > 1)
    assert protocol.dump(read)["params"]["pin"] == PIN  # on the wire it is there, of course


def test_a_malformed_job_fails_instead_of_running() -> None:
    """The agent answers a job it cannot read with ``bad_job``: the backend stops waiting."""
    from tests.hardware.agent.test_agent_client import OneShotTransport, ScriptedConnection, run

    printer = MemoryPrinter()
    client = AgentClient(OneShotTransport(ScriptedConnection([])), Handlers(printer=printer))
    conn = ScriptedConnection([MALFORMED_FROM_BACKEND["print data not base64"], FROM_BACKEND[2]])

    async def serve() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(client._serve(conn, stop))
        for _ in range(200):
            if len([m for m in conn.sent if m["type"] == "result"]) >= 2:
                break
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, 5)

    run(serve())
    results = {m["job_id"]: m for m in conn.sent if m["type"] == "result"}
    assert results["x5"]["ok"] is False and results["x5"]["error"]["code"] == "bad_job"
    assert results["p1"]["ok"] is True and printer.printed == [b"\x1b@A"]
    assert client.runs == {"p1": 1}
