"""The players of ``bench/load.py``: one counter = a clerk's staff console, a ticket machine, a
resident's tablet and a counter agent, each making exactly the requests its screen makes
(``kiosk/static/staff/staff.js``, ``tablet/tablet.js``, ``ticket/ticket.js``) or, for the agent,
speaking the real WebSocket protocol (``hardware.agent.client`` with a synthetic card).

The people are left out: nobody thinks, reads or types, so a visit takes as long as the server
and the screens' own polling intervals make it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

from load_http import HttpError, LeanClient, Reply
from load_stats import Recorder

from hardware.agent.client import AgentClient
from hardware.agent.fakes import FakeCardReader, MemoryPrinter
from hardware.agent.handlers import Handlers
from hardware.agent.transport import WebSocketTransport

CARD_PIN = "1234"  # the synthetic card's PIN (hardware.agent.fakes)
TABLET_TICK_SECONDS = 1.0  # tablet.js: MIN_TICK_MS, no more than one look a second
TABLET_WAIT_SECONDS = 25  # tablet.js: WAIT_SECONDS, the long-poll once it holds a view
CONSOLE_WAIT_SECONDS = 25  # staff.js: LONG_POLL_SECONDS (devices' presence, signature wait)
CONSOLE_MIN_SECONDS = 1.0  # staff.js: LONG_POLL_MIN_MS, no more than one request a second
CONSOLE_BACKOFF_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0)  # staff.js: LONG_POLL_BACKOFF_MS
JOB_WAIT_SECONDS = 20  # staff.js: /agent/jobs/{id}?wait=20
GIVE_UP_SECONDS = 60.0  # a card read or a signature not seen by then is lost
KEEPALIVE_SECONDS = 4.0
"""Idle connections are dropped before uvicorn's 5 s keep-alive timeout closes them, so that a
request never goes out on a connection the server is closing (a browser retries those)."""
CARD_READ_TRIES = 3  # reads of the card a clerk tries in one visit before giving up
PREVIEWED_FORMS = 3  # issue 17: "3 forms previewed"
BLOCK = "１－２－３"  # 番地 typed by the clerk (synthetic)


class AgentTrouble(logging.Handler):
    """The agents' warnings (cannot connect, connection lost) counted as errors, not printed."""

    def __init__(self, recorder: Recorder) -> None:
        super().__init__(logging.WARNING)
        self.recorder = recorder

    def emit(self, record: logging.LogRecord) -> None:
        text = re.sub(r"\(.*\)", "(…)", record.getMessage())  # one kind per message shape
        self.recorder.error(f"agent: {text}")

    def install(self) -> None:
        agent_log = logging.getLogger("hardware.agent")
        agent_log.addHandler(self)
        agent_log.propagate = False


class StepFailed(Exception):
    """A request the visit cannot go on without failed (already counted as an error)."""


class CardReadFailed(StepFailed):
    """The agent reported a failed read (already counted); the clerk may read again."""


@dataclass
class CounterDevices:
    """One counter and the devices paired with it for this run (tokens shown once at pairing)."""

    counter_id: str
    code: str
    agent_token: str
    tablet_token: str
    ticket_token: str
    device_ids: list[str]


@dataclass
class RunState:
    """What every counter shares: the recorder, the stop signal, the visits handed off."""

    url: str
    queue_id: str
    area_full_name: str
    recorder: Recorder
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    handed_off: dict[str, float] = field(default_factory=dict)  # visit id → perf_counter
    card_reads: dict[str, int] = field(
        default_factory=lambda: {"requested": 0, "done": 0, "failed": 0, "lost": 0}
    )
    card_failures: dict[str, int] = field(default_factory=dict)  # error code → count


class Screen:
    """One screen's HTTP client: each request timed under ``screen.step``, failures counted."""

    def __init__(self, name: str, state: RunState, token: str | None = None) -> None:
        self.name = name
        self.state = state
        headers = {"accept": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        self.client = LeanClient(
            state.url, headers=headers, timeout=90.0, keepalive_seconds=KEEPALIVE_SECONDS
        )
        self.csrf: str | None = None
        self.held: dict[tuple[str, str], tuple[str, Any]] = {}  # poll → (ETag, its answer)
        # The requests awaited and since when: several at once, since the staff console's
        # device long-polls run beside the visit's requests on the same screen.
        self.in_flight: dict[int, tuple[str, float]] = {}
        self._request_numbers = itertools.count()

    def waiting_on(self) -> str | None:
        """The requests this screen awaits and for how long (a drain's report), or None."""
        if not self.in_flight:
            return None
        now = time.perf_counter()
        return ", ".join(f"{step} {now - since:.0f} s" for step, since in self.in_flight.values())

    async def call(
        self, step: str, method: str, path: str, body: Any = None, *, params: Any = None
    ) -> Any:
        """The response's JSON (None when empty); ``StepFailed`` on an error answer."""
        name = f"{self.name}.{step}"
        headers = {"x-csrf-token": self.csrf} if self.csrf and method != "GET" else None
        response = await self._timed(name, method, path, body=body, params=params, headers=headers)
        if response.status_code >= 400:
            self.state.recorder.error(f"{name}: {response.status_code} {_error_code(response)}")
            raise StepFailed(name)
        if not response.content or not response.headers.get("content-type", "").startswith(
            "application/json"
        ):
            return None
        return response.json()

    async def poll(
        self, step: str, path: str, *, params: Any = None, wait: int | None = None
    ) -> Any:
        """A GET the screen repeats, revalidated as the browser does: with the ETag of the last
        answer in ``If-None-Match``, and that answer again on 304 (the staff console's through
        the browser's cache, the tablet's own copy in memory)."""
        key = (path, repr(params))
        held = self.held.get(key)
        headers = {"if-none-match": held[0]} if held else None
        if held and wait:  # the long-poll: the server answers when something changed
            params = {**(params or {}), "wait": wait}
            step = f"{step}_wait"
        name = f"{self.name}.{step}"
        response = await self._timed(name, "GET", path, params=params, headers=headers)
        if response.status_code == 304 and held:
            return held[1]
        if response.status_code >= 400:
            self.state.recorder.error(f"{name}: {response.status_code} {_error_code(response)}")
            raise StepFailed(name)
        data = response.json()
        etag = response.headers.get("etag")
        if etag:
            self.held[key] = (etag, data)
        return data

    async def _timed(
        self,
        name: str,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """One request, timed under ``name`` and shown as awaited while it is (``waiting_on``);
        ``StepFailed`` when no answer comes (counted as an error)."""
        started = time.perf_counter()
        # A number of its own, not the task's id: a task made for one request (wait_for) and
        # freed can hand its id to the next, and one entry then hid the other.
        ticket = next(self._request_numbers)
        self.in_flight[ticket] = (name, started)
        try:
            response = await self.client.request(
                method, path, json=body, params=params, headers=headers
            )
        except HttpError as exc:
            self.state.recorder.error(f"{name}: {type(exc).__name__}")
            raise StepFailed(name) from exc
        finally:
            del self.in_flight[ticket]
        self.state.recorder.record(name, time.perf_counter() - started)
        return response

    async def close(self) -> None:
        await self.client.aclose()


def _error_code(response: Reply) -> str:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return ""


class CounterPlayer:
    """A counter at work: the clerk loops full visits while the tablet, the agent and the staff
    console's device poll run beside it."""

    def __init__(self, state: RunState, devices: CounterDevices, login: dict[str, str]) -> None:
        self.state = state
        self.devices = devices
        self.login = login
        self.staff = Screen("staff", state)
        self.tablet = Screen("tablet", state, devices.tablet_token)
        self.ticket = Screen("ticket", state, devices.ticket_token)
        self.stage = ("starting", time.perf_counter())  # where the visit is, since when
        self.signed: set[str] = set()  # visits this tablet signed
        self.pinned: set[str] = set()  # card reads this tablet gave the PIN for
        self.agent_stop = asyncio.Event()
        self.agent = AgentClient(
            WebSocketTransport(state.url, devices.agent_token),
            Handlers(card_reader=FakeCardReader(pin=CARD_PIN), printer=MemoryPrinter()),
        )

    def where(self) -> str:
        """Where this counter's visit is and what its screens await (a drain's report)."""
        stage, since = self.stage
        screens = (
            f"{screen.name}: {waiting}"
            for screen in (self.staff, self.tablet, self.ticket)
            if (waiting := screen.waiting_on())
        )
        return "; ".join((f"{stage} for {time.perf_counter() - since:.0f} s", *screens))

    def _at(self, stage: str) -> None:
        self.stage = (stage, time.perf_counter())

    # --- start and stop -------------------------------------------------------------------

    async def start_screens(self) -> None:
        """What the screens do once when they open: log in, open the counter, load lists."""
        await self._load_lists(self.staff)
        me = await self.staff.call("login", "POST", "/api/v1/auth/login", self.login)
        self.staff.csrf = me["csrf_token"]
        await self.staff.call("areas", "GET", "/api/v1/addresses/areas")
        counters = await self.staff.call("counters", "GET", "/api/v1/counters")
        await self.staff.call("open_counter", "POST", f"/api/v1/counters/{self.counter}/open")
        await self._close_leftovers(counters)
        await self._load_lists(self.tablet)
        await self.ticket.call("queues", "GET", "/api/v1/ticket-machine/queues")

    async def _load_lists(self, screen: Screen) -> None:
        """Lists.load(): once, on a connection of its own (a server that fails it with an
        unhandled error drops the connection). A failure is counted and the run goes on."""
        once = Screen(screen.name, self.state)
        with contextlib.suppress(StepFailed):
            await once.call("lists", "GET", "/api/v1/schemas/lists.json")
        await once.close()

    async def _close_leftovers(self, counters: list[dict[str, Any]]) -> None:
        """What an interrupted run left at this counter is cleared first: a ticket called but
        never served (no-show) and unfinished visits (closed)."""
        (mine,) = [c for c in counters if c["id"] == self.counter]
        ticket = mine.get("current_ticket")
        if ticket and ticket["status"] == "called":
            await self.staff.call("no_show", "POST", f"/api/v1/tickets/{ticket['id']}/no-show")
        for status in ("open", "confirming", "signed"):
            params = {"status": status, "counter_id": self.counter, "limit": 200}
            for visit in await self.staff.call("leftovers", "GET", "/api/v1/visits", params=params):
                await self.staff.call("close", "POST", f"/api/v1/visits/{visit['id']}/close")

    @property
    def counter(self) -> str:
        return self.devices.counter_id

    async def run(self, first_visit_after: float = 0.0) -> None:
        """Visits until the run stops, the tablet, agent and device poll alongside; the first
        visit starts ``first_visit_after`` seconds in (the screens poll meanwhile)."""
        helpers = [
            asyncio.create_task(self.agent.run(self.agent_stop)),
            asyncio.create_task(self._tablet_loop()),
            asyncio.create_task(self._devices_loop()),
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.agent.connected.wait(), timeout=30)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.state.stop.wait(), timeout=first_visit_after)
        try:
            while not self.state.stop.is_set():
                try:
                    await self.visit()
                except StepFailed:
                    await asyncio.sleep(0.5)  # as a clerk would, after an error message
        finally:
            self._at("closing: agent and screens")  # what a drain's report then waits on
            self.agent_stop.set()
            for task in helpers[1:]:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            self._at("closing: connections")
            for screen in (self.staff, self.tablet, self.ticket):
                await screen.close()

    # --- one visit, as the staff console makes it ---------------------------------------------

    async def visit(self) -> None:
        self._at("ticket")
        await self._issue_ticket()
        started = time.perf_counter()
        self._at("call")
        called = await self._call_next()
        if called is None:
            return
        self._at("open")
        visit = await self.staff.call(
            "open_visit",
            "POST",
            "/api/v1/visits",
            {"ticket_id": called, "counter_id": self.counter},
        )
        vid = visit["id"]
        try:
            self._at("interview")
            await self._interview(vid)
            self._at("sign")
            await self._sign(vid)
            self._at("hand-off")
            await self.staff.call("handoff", "POST", f"/api/v1/visits/{vid}/handoff")
        except StepFailed:
            with contextlib.suppress(StepFailed):  # 受付を中止: the next resident is waiting
                await self.staff.call("abandon", "POST", f"/api/v1/visits/{vid}/close")
            raise
        finished = time.perf_counter()
        self._at("handed off")  # so a drain's report never blames a hand-off that answered
        self.state.handed_off[vid] = finished
        self.state.recorder.record("visit", finished - started)

    async def _issue_ticket(self) -> None:
        """A resident takes a ticket; the machine then shows the purposes again (backToStart)."""
        await self.ticket.call(
            "issue", "POST", "/api/v1/tickets", {"queue_id": self.state.queue_id}
        )
        await self.ticket.call("queues", "GET", "/api/v1/ticket-machine/queues")

    async def _call_next(self) -> str | None:
        """The ticket called: the oldest waiting, not necessarily the one this counter's machine
        issued (every counter serves the same queue)."""
        for _ in range(20):
            result = await self.staff.call(
                "call_next", "POST", f"/api/v1/counters/{self.counter}/call-next"
            )
            if result["ticket"]:
                return str(result["ticket"]["id"])
            self.state.recorder.note("nobody_waiting")
            await asyncio.sleep(0.2)
        self.state.recorder.error("staff.call_next: nobody waiting 20 times")
        return None

    async def _interview(self, vid: str) -> None:
        """openVisit shows the POST's answer; each change's answer is the visit and its
        guidance, shown without asking again (staff.js showChange)."""
        today = dt.date.today().isoformat()
        change = {"event": "moving-in", "event_date": today, "filed_on": today}
        await self._patch(vid, change)  # chooseEvent
        await self._read_card_until_read(vid)
        await self._patch(vid, {"new_address": self.state.area_full_name + BLOCK})
        residence = {"kind": "residence", "copies": 1, "scope": "household"}
        tax = {
            "kind": "tax",
            "copies": 1,
            "fiscal_year": _fiscal_year(),
            "tax_kind": "income_taxation",
        }
        await self._patch(vid, {"certificates": [residence]})  # one checkbox, then the other
        visit = await self._patch(vid, {"certificates": [residence, tax]})
        visit = await self._answer_questions(vid, visit)
        if visit["members"]:  # the 続柄, typed on the member's row
            member = visit["members"][0]["id"]
            await self.staff.call(
                "patch_member",
                "PATCH",
                f"/api/v1/visits/{vid}/members/{member}",
                {"relationship": "世帯主"},
            )
        forms = await self.staff.call("forms", "GET", f"/api/v1/visits/{vid}/forms")
        for form in forms["forms"][:PREVIEWED_FORMS]:  # the clerk opens the preview links
            await self.staff.call(
                "preview", "GET", f"/api/v1/visits/{vid}/forms/{form['form']}/preview"
            )

    async def _patch(self, vid: str, change: dict[str, Any]) -> dict[str, Any]:
        """patchVisit: the change; its answer is the visit with its guidance."""
        return dict(await self.staff.call("patch_visit", "PATCH", f"/api/v1/visits/{vid}", change))

    async def _refresh(self, vid: str) -> None:
        """staff.js refresh() on steps ①–③ (after a card read): the visit with its guidance,
        in one request (the forms and checks only on ④)."""
        await self.staff.call("visit_with_guidance", "GET", f"/api/v1/visits/{vid}/with-guidance")

    async def _answer_questions(self, vid: str, visit: dict[str, Any]) -> dict[str, Any]:
        """As staff.js does: every open question of the last answer's guidance answered by its
        ``id`` through ``POST /visits/{id}/answers`` (いいえ for yes/no, the first choice,
        nationality JP); again while answers open new questions. The last answer (the visit
        and its guidance) is returned."""
        for _ in range(MAX_ANSWER_ROUNDS):
            answers = {
                q["id"]: value
                for q in (visit.get("guidance") or {}).get("questions") or []
                if (value := _answer(q)) is not None
            }
            if not answers:
                break
            visit = await self.staff.call(
                "answers", "POST", f"/api/v1/visits/{vid}/answers", {"answers": answers}
            )
        return visit

    async def _read_card_until_read(self, vid: str) -> None:
        """The clerk presses カードを読む again after a failed read (each failure counted)."""
        for _ in range(CARD_READ_TRIES - 1):
            with contextlib.suppress(CardReadFailed):
                await self._read_card(vid)
                return
        await self._read_card(vid)

    async def _read_card(self, vid: str) -> None:
        """readCard: the job, then the long-poll until the agent's result is stored."""
        reads = self.state.card_reads
        started = time.perf_counter()
        job = await self.staff.call(
            "card_read",
            "POST",
            "/api/v1/agent/card-reads",
            {"visit_id": vid, "pin_at": "tablet", "allow_last_try": False},
        )
        reads["requested"] += 1
        while time.perf_counter() - started < GIVE_UP_SECONDS:
            job = await self.staff.call(
                "card_wait",
                "GET",
                f"/api/v1/agent/jobs/{job['id']}",
                params={"wait": JOB_WAIT_SECONDS},
            )
            if job["status"] == "done":
                reads["done"] += 1
                self.state.recorder.record("card", time.perf_counter() - started)
                await self._refresh(vid)
                return
            if job["status"] == "failed":
                reads["failed"] += 1
                code = job["error"]["code"]
                self.state.card_failures[code] = self.state.card_failures.get(code, 0) + 1
                self.state.recorder.error(f"card: {code}")
                raise CardReadFailed(code)
        reads["lost"] += 1
        self.state.recorder.error("card: lost (no result within 60 s)")
        raise StepFailed("card")

    async def _sign(self, vid: str) -> None:
        """sendToTablet, then waitForSignature until the tablet's signature is seen."""
        started = time.perf_counter()
        await self.staff.call("confirm", "POST", f"/api/v1/visits/{vid}/confirm")
        while time.perf_counter() - started < GIVE_UP_SECONDS:
            # staff.js: the signature wait long-polled (status and tablet), the visit once signed.
            asked = time.perf_counter()
            wait = await self.staff.poll(
                "signature_wait",
                f"/api/v1/tablet/visits/{vid}/signature-wait",
                wait=CONSOLE_WAIT_SECONDS,
            )
            if wait["status"] == "signed":  # the visit, its guidance and the signed documents
                signed = await self.staff.call(
                    "visit_with_guidance",
                    "GET",
                    f"/api/v1/visits/{vid}/with-guidance",
                    params={"documents": "true"},
                )
                if not signed["documents"]:
                    self.state.recorder.error("signature: signed, but no documents listed")
                    raise StepFailed("signature")
                self.state.recorder.record("signature", time.perf_counter() - started)
                return
            if wait["status"] != "confirming":
                self.state.recorder.error(f"signature: visit became {wait['status']}")
                raise StepFailed("signature")
            await asyncio.sleep(max(0.0, CONSOLE_MIN_SECONDS - (time.perf_counter() - asked)))
        self.state.recorder.error("signature: not seen within 60 s")
        raise StepFailed("signature")

    # --- the tablet and the staff console's device poll ------------------------------------

    async def _tablet_loop(self) -> None:
        """tablet.js tick(): the view (long-polled once held, never more than one look a second);
        the PIN when asked, the signature when shown."""
        while True:
            started = time.perf_counter()
            with contextlib.suppress(StepFailed):
                await self._tablet_tick()
            await asyncio.sleep(max(0.0, TABLET_TICK_SECONDS - (time.perf_counter() - started)))

    async def _tablet_tick(self) -> None:
        view = await self.tablet.poll("current", "/api/v1/tablet/current", wait=TABLET_WAIT_SECONDS)
        pin_request = view.get("pin_request")
        if pin_request and pin_request["id"] not in self.pinned:
            self.pinned.add(pin_request["id"])
            await self.tablet.call(
                "pin", "POST", f"/api/v1/agent/jobs/{pin_request['id']}/pin", {"pin": CARD_PIN}
            )
            return
        shown = view.get("visit")
        if shown and shown["status"] == "confirming" and shown["id"] not in self.signed:
            self.signed.add(shown["id"])
            await self.tablet.call(
                "sign",
                "POST",
                f"/api/v1/tablet/visits/{shown['id']}/signature",
                {"signature": SIGNATURE},
            )

    async def _devices_loop(self) -> None:
        """pollDevices(): the agent's and the tablet's presence, each long-polled on its own."""
        params = {"counter_id": self.counter}
        await asyncio.gather(
            self._console_long_poll("agent_status", "/api/v1/agent/status", params),
            self._console_long_poll("tablet_status", "/api/v1/tablet/status", params),
        )

    async def _console_long_poll(self, step: str, path: str, params: dict[str, str]) -> None:
        """staff.js longPoll(): asked again when answered (at most once a second), after a
        growing pause when it failed."""
        failures = 0
        while True:
            started = time.perf_counter()
            try:
                await self.staff.poll(step, path, params=params, wait=CONSOLE_WAIT_SECONDS)
            except StepFailed:
                pause = CONSOLE_BACKOFF_SECONDS[min(failures, len(CONSOLE_BACKOFF_SECONDS) - 1)]
                failures += 1
                await asyncio.sleep(pause)
                continue
            failures = 0
            await asyncio.sleep(max(0.0, CONSOLE_MIN_SECONDS - (time.perf_counter() - started)))


MAX_ANSWER_ROUNDS = 6


def _answer(question: dict[str, Any]) -> Any:
    if question["type"] == "bool":
        return False
    if question["type"] == "choice" and question.get("choices"):
        return question["choices"][0]
    if question["id"].endswith(".nationality") or question["id"] == "nationality":
        return "JP"
    if question["type"] == "int":
        return 0
    return "わからない"


def _fiscal_year() -> int:
    today = dt.date.today()
    return today.year if today.month >= 6 else today.year - 1  # staff.js defaultFiscalYear


def _stroke(x0: float, y0: float, dx: float, dy: float, points: int, t0: int) -> dict[str, Any]:
    return {
        "points": [
            {
                "x": round(x0 + dx * i, 1),
                "y": round(y0 + dy * ((i % 7) - 3), 1),
                "pressure": 0.5,
                "time": t0 + 16 * i,
            }
            for i in range(points)
        ]
    }


SIGNATURE = {
    "width": 600,
    "height": 200,
    "strokes": [
        _stroke(40, 100, 6, 8, 40, 1000),
        _stroke(300, 80, 5, 6, 40, 2000),
        _stroke(420, 120, 4, 5, 40, 3000),
    ],
    "device": "tablet",
}
"""A signature the size a person draws: three strokes of 40 points (synthetic)."""
