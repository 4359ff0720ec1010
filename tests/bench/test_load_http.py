"""bench/load_http.py: the load generator's lean client gets whole answers (Content-Length and
chunked), keeps the staff session's cookie, reuses a kept-alive connection, opens a new one when
the server closes it, and turns a dead server into HttpError."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from load_http import HttpError, LeanClient

ANSWERS = {
    b"/json": b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 12\r\n"
    b'set-cookie: session=abc; HttpOnly; Path=/\r\n\r\n{"ok": true}',
    b"/chunked": b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
    b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    b"/close": b'HTTP/1.1 304 Not Modified\r\netag: "v1"\r\nconnection: close\r\n\r\n',
    b"/logout": b"HTTP/1.1 204 No Content\r\nset-cookie: session=; Max-Age=0; Path=/\r\n\r\n",
}


async def _serve(seen: list[tuple[int, bytes]]) -> asyncio.Server:
    connections = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        number = connections
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:  # the client closed its connection
                return
            seen.append((number, head))
            length = [
                int(line.split(b":")[1]) for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ]  # fmt: skip
            if length and length[0]:
                seen.append((number, await reader.readexactly(length[0])))
            path = head.split(b" ")[1].split(b"?")[0]
            if path == b"/slow":  # a long-poll's answer, after the others
                await asyncio.sleep(0.3)
                path = b"/json"
            writer.write(ANSWERS[path])
            await writer.drain()
            if path == b"/close":
                writer.close()
                return

    return await asyncio.start_server(handle, "127.0.0.1", 0)


def test_answers_cookies_and_kept_connections() -> None:
    async def scenario() -> None:
        seen: list[tuple[int, bytes]] = []
        server = await _serve(seen)
        port = server.sockets[0].getsockname()[1]
        client = LeanClient(f"http://127.0.0.1:{port}", headers={"accept": "application/json"})
        reply = await client.request("POST", "/json", json={"name": "テスト"})
        assert reply.status_code == 200 and reply.json() == {"ok": True}
        assert client.cookies == {"session": "abc"}
        chunked = await client.get("/chunked", params={"wait": 25})
        assert chunked.content == b"hello world"
        closed = await client.get("/close", headers={"if-none-match": '"v1"'})
        assert closed.status_code == 304 and closed.headers["etag"] == '"v1"'
        await client.get("/logout")
        assert client.cookies == {}
        await client.aclose()
        server.close()
        heads = [(number, data) for number, data in seen if data.endswith(b"\r\n\r\n")]
        assert [number for number, _ in heads] == [1, 1, 1, 2]  # closed → a new connection
        assert b"GET /chunked?wait=25 HTTP/1.1" in heads[1][1]
        assert b"cookie: session=abc" in heads[1][1]
        assert b'if-none-match: "v1"' in heads[2][1]
        assert (1, b'{"name": "\\u30c6\\u30b9\\u30c8"}') in seen

    asyncio.run(scenario())


def test_a_dead_server_is_an_http_error() -> None:
    async def scenario() -> None:
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = LeanClient(f"http://127.0.0.1:{port}", timeout=5)
        with pytest.raises(HttpError):
            await client.get("/json")
        server.close()
        await server.wait_closed()
        with pytest.raises(HttpError):
            await client.get("/json")

    asyncio.run(scenario())


def test_a_screen_says_which_request_it_awaits_for_a_drains_report() -> None:
    """A counter that does not finish its visit after the window is reported with the request
    its screen still awaits (the drain named no step before)."""
    from load_actors import RunState, Screen
    from load_stats import Recorder

    async def scenario() -> tuple[str | None, str | None, str | None]:
        server = await _serve([])
        port = server.sockets[0].getsockname()[1]
        state = RunState(f"http://127.0.0.1:{port}", "queue", "area", Recorder())
        screen = Screen("staff", state)
        before = screen.waiting_on()
        answer = asyncio.create_task(screen.call("lists", "GET", "/json"))
        await asyncio.sleep(0)  # the request is on its way
        during = screen.waiting_on()
        await answer
        after = screen.waiting_on()
        await screen.close()
        server.close()
        return before, during, after

    before, during, after = asyncio.run(scenario())
    assert before is None and after is None
    assert during is not None and during.startswith("staff.lists ")


def test_a_screens_report_keeps_a_request_while_another_beside_it_ends() -> None:
    """The staff console's device long-polls run beside the visit's requests: one ending must
    not hide the other (a drain reported a counter stuck at hand-off awaiting nothing)."""
    from load_actors import RunState, Screen
    from load_stats import Recorder

    async def scenario() -> tuple[str | None, str | None]:
        server = await _serve([])
        port = server.sockets[0].getsockname()[1]
        state = RunState(f"http://127.0.0.1:{port}", "queue", "area", Recorder())
        screen = Screen("staff", state)
        slow = asyncio.create_task(screen.call("handoff", "POST", "/slow"))
        await asyncio.sleep(0.05)
        await screen.poll("tablet_status", "/json")  # answered while the hand-off is awaited
        during = screen.waiting_on()
        await slow
        after = screen.waiting_on()
        await screen.close()
        server.close()
        return during, after

    during, after = asyncio.run(scenario())
    assert during is not None and during.startswith("staff.handoff ")
    assert after is None


def test_the_counters_first_visits_are_spread_within_the_warmup() -> None:
    """Counters started together end their visits in waves, and a short window then counts
    whole waves: the first visits are spread evenly over about one visit, inside the warm-up."""
    from load import STAGGER_SECONDS, first_visit_delays

    delays = first_visit_delays(64, warmup=20)
    assert delays[0] == 0 and delays == sorted(delays)
    assert len(set(delays)) == 64
    assert max(delays) < STAGGER_SECONDS
    assert delays[32] == pytest.approx(STAGGER_SECONDS / 2)
    assert max(first_visit_delays(8, warmup=4)) < 4  # never past a short warm-up


def test_a_screen_cancelled_as_its_answer_arrives_stops() -> None:
    """The end of a run cancels each screen's polling loop. On Python 3.11 ``wait_for`` could
    swallow a cancellation that came as the answer did (python/cpython#86296): the tablet then
    polled on, and the run waited 90 s for that counter. Here the answer and the cancellation
    come in the same step, every time."""
    from load_http import Reply

    async def scenario() -> None:
        client = LeanClient("http://127.0.0.1:9")  # nothing is sent: the exchange is replaced
        looks: list[int] = []

        async def answered_as_cancelled(raw: bytes) -> Reply:
            loop_task.cancel()
            return Reply(304, {}, b"")

        client._exchange = answered_as_cancelled  # type: ignore[method-assign]

        async def polling_loop() -> None:
            while True:
                await client.request("GET", "/api/v1/tablet/current")
                looks.append(1)
                await asyncio.sleep(0.01)

        loop_task = asyncio.create_task(polling_loop())
        done, _ = await asyncio.wait({loop_task}, timeout=2)
        assert loop_task in done and loop_task.cancelled(), f"still polling after {len(looks)}"

    asyncio.run(scenario())
