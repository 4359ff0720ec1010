"""The connection's ping does not wait for the job dispatch. Another replica counts the agent
online while its pongs keep ``last_seen_at`` fresh (``hub.PRESENCE_SECONDS``); on a replica whose
threads are all busy, a ping queued behind the dispatch's thread came late, and a card read on
the other replica was refused with ``agent_offline`` (seen once in ≈1,400 reads, two replicas
capped at 0.5 CPU each)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import contracts.agent as protocol
from backend.platform.agentlink import connection
from backend.platform.agentlink.hub import AgentIdentity

IDENTITY = AgentIdentity("device-1", "tenant-1", "counter-1", "agent 1")


class _SlowDispatchHub:
    """A hub whose dispatch holds its thread until released, as one queued behind busy threads."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.dispatching = threading.Event()

    def attach(self, identity: AgentIdentity, link: Any, hello: protocol.Hello) -> None:
        pass

    def dispatch(self, identity: AgentIdentity, *, resend: bool = False) -> int:
        self.dispatching.set()
        self.released.wait(timeout=10)
        return 0

    def handle(self, identity: AgentIdentity, message: protocol.AgentMessage) -> None:
        pass

    def detach(self, identity: AgentIdentity, link: Any) -> None:
        pass


def test_a_due_ping_goes_out_while_the_dispatch_still_waits() -> None:
    hub = _SlowDispatchHub()

    async def scenario() -> tuple[bool, bool]:
        pinged = asyncio.Event()
        closed = asyncio.Event()

        async def send(message: protocol.BackendMessage) -> None:
            if isinstance(message, protocol.Ping):
                pinged.set()

        async def receive() -> protocol.AgentMessage:
            await closed.wait()
            raise ConnectionError("closed")

        serving = asyncio.create_task(
            connection._serve(
                hub,  # type: ignore[arg-type]
                IDENTITY,
                protocol.Hello(),
                receive,
                send,
                asyncio.Event(),
                60.0,  # poll_seconds: no recheck within the test
                0.05,  # ping_seconds
            )
        )
        try:
            await asyncio.wait_for(pinged.wait(), timeout=3)
            dispatching = await asyncio.to_thread(hub.dispatching.wait, 3)
            return pinged.is_set(), dispatching and not hub.released.is_set()
        finally:
            hub.released.set()
            closed.set()
            await asyncio.wait_for(serving, timeout=5)

    pinged, dispatch_still_waiting = asyncio.run(scenario())
    assert pinged
    assert dispatch_still_waiting
