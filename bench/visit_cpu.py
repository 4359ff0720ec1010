"""Server CPU-seconds per counter visit, played in-process through the ASGI app.

Usage: .venv/bin/python bench/visit_cpu.py [--visits N] [--rounds N] [--healthz N]
                                           [--database-url URL] [--signature-polls N]
Profile: uv tool run py-spy record --gil --format raw -o out.txt -- .venv/bin/python bench/...

One visit is the requests the staff console, the tablet and the ticket machine send
(kiosk/static/*): ticket → call → visit opened → card read (the synthetic card through the
in-process agent, PIN on the tablet) → event, address, answers, certificates (each change
answered with the visit and its guidance, which the console shows without asking again) → the
three forms previewed → sent to the
tablet (which polls /tablet/current) → signed (the visit and its documents) → hand-off.

Server CPU is the process's CPU time minus the client thread's own (TestClient builds and
parses requests in the calling thread; the app, its worker threads and the agent run in
others). The baseline is N ``/healthz`` requests measured the same way in the same run, so the
ratio "one visit = R health checks" is comparable between machines.
``--count-calls``: also count the Python (and C) function calls the server's threads make per
visit (a profile hook on every thread the app starts): a figure the machine's load does not
change, for comparing two versions on a busy machine (the hook slows everything down, so the
CPU figures of such a run are not comparable with others).
``--units``: also each unit of work's thread CPU, by route (where the server's threads spend it).
Target (issue 17): ≤ 0.09 CPU-s per visit; done at ≤ 0.15.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).parents[1]))

T = TypeVar("T")
TABLET_TOKEN = "bench-tablet-token"  # a throwaway database's
AGENT_PIN = "1234"
SIGNATURE = {
    "width": 600,
    "height": 200,
    "strokes": [
        {
            "points": [
                {"x": 10 + i * 7, "y": 20 + (i * 13) % 60, "pressure": 0.5, "time": 1000 + i}
                for i in range(40)
            ]
        }
    ],
}


def prepare_database(url: str) -> None:
    from sqlalchemy import select

    from backend.identity.auth.tokens import hash_token
    from backend.identity.devices.models import Device, DeviceKind
    from backend.identity.tenants.models import Counter
    from backend.platform import db as db_module
    from backend.platform import migrate
    from backend.platform.db import session_scope
    from backend.seed import seed_demo

    engine = db_module.make_engine(url)
    migrate.upgrade(engine)
    db_module.reset_engine(engine)
    with session_scope(unscoped=True) as session:
        tenant = seed_demo(session)
        counter = session.scalars(
            select(Counter).where(Counter.tenant_id == tenant.id, Counter.code == "1")
        ).one()
        exists = session.scalars(
            select(Device).where(Device.token_hash == hash_token(TABLET_TOKEN))
        ).first()
        if exists is None:
            session.add(
                Device(
                    tenant_id=tenant.id,
                    kind=DeviceKind.TABLET.value,
                    name="bench tablet",
                    counter_id=counter.id,
                    token_hash=hash_token(TABLET_TOKEN),
                )
            )


def start_agent(stop: threading.Event) -> None:
    from backend.agent_demo import ensure_demo_agent, run_in_thread
    from hardware.agent.fakes import FakeCardReader, MemoryPrinter
    from hardware.agent.handlers import Handlers

    identity = ensure_demo_agent()
    run_in_thread(identity, Handlers(FakeCardReader(pin=AGENT_PIN), MemoryPrinter()), stop)


class Visitor:
    """The three screens' requests, as the browser would send them."""

    def __init__(self, client: Any, signature_polls: int = 0) -> None:
        from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE, DEMO_TICKET_MACHINE_TOKEN

        self.client = client
        self.signature_polls = signature_polls
        self.requests = RequestTally()
        self.held: dict[str, tuple[str, Any]] = {}  # polled URL → (ETag, its answer)
        login = client.post(
            "/api/v1/auth/login",
            json={"tenant_code": DEMO_TENANT_CODE, "username": "clerk", "password": DEMO_PASSWORD},
        )
        login.raise_for_status()
        self.staff = {"x-csrf-token": login.json()["csrf_token"]}
        self.machine = {"authorization": f"Bearer {DEMO_TICKET_MACHINE_TOKEN}"}
        self.tablet = {"authorization": f"Bearer {TABLET_TOKEN}"}
        counters = self.ok("GET", "/api/v1/counters", self.staff)
        self.counter = next(c for c in counters if c["code"] == "1")["id"]
        self.client.post(f"/api/v1/counters/{self.counter}/open", headers=self.staff)
        queues = self.ok("GET", "/api/v1/ticket-machine/queues", self.machine)["queues"]
        self.queue = next(q for q in queues if q["prefix"] == "A")["id"]
        self.wait_for_agent()

    def ok(
        self, method: str, url: str, headers: dict[str, str], json: object = None, note: str = ""
    ) -> Any:
        before = STATEMENTS[0]
        spent, response = server_cpu(
            lambda: self.client.request(method, url, headers=headers, json=json)
        )
        self.requests.add(f"{method} {_route(url)}{note}", spent, STATEMENTS[0] - before)
        _log_request(f"{method} {_route(url)}{note}", STATEMENTS[0] - before)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text}")
        return response.json() if "json" in response.headers.get("content-type", "") else None

    def poll(self, url: str, headers: dict[str, str], note: str = "") -> Any:
        """A GET the screen repeats, revalidated as the browser does: the last answer's ETag in
        ``If-None-Match``, and that answer again on 304 (the staff console's from the browser's
        cache, the tablet's from its memory: kiosk/static)."""
        held = self.held.get(url)
        sent = {**headers, "if-none-match": held[0]} if held else headers
        before = STATEMENTS[0]
        spent, response = server_cpu(lambda: self.client.get(url, headers=sent))
        kind = f"GET {_route(url)}{note}{' (304)' if response.status_code == 304 else ''}"
        self.requests.add(kind, spent, STATEMENTS[0] - before)
        _log_request(kind, STATEMENTS[0] - before)
        if response.status_code == 304 and held:
            return held[1]
        if response.status_code >= 400:
            raise RuntimeError(f"GET {url}: {response.status_code} {response.text}")
        if "etag" in response.headers:
            self.held[url] = (response.headers["etag"], response.json())
        return response.json()

    def wait_for_agent(self) -> None:
        deadline = time.monotonic() + 15
        url = f"/api/v1/agent/status?counter_id={self.counter}"
        while not self.ok("GET", url, self.staff)["online"]:
            if time.monotonic() > deadline:
                raise RuntimeError("the in-process agent did not connect")
            time.sleep(0.05)

    def refresh(self, vid: str) -> dict[str, Any]:
        """staff.js refresh() on steps ①–③: the visit with its guidance, in one request (the
        forms and checks only on ④)."""
        shown = self.ok("GET", f"/api/v1/visits/{vid}/with-guidance", self.staff)
        return dict(shown["guidance"] or {})

    def patch(self, vid: str, changes: dict[str, Any]) -> dict[str, Any]:
        """patchVisit: the change's answer is the visit and its guidance (nothing reloaded)."""
        return dict(self.ok("PATCH", f"/api/v1/visits/{vid}", self.staff, changes)["guidance"])

    def play(self) -> None:
        self.ok("POST", "/api/v1/tickets", self.machine, {"queue_id": self.queue})
        called = self.ok("POST", f"/api/v1/counters/{self.counter}/call-next", self.staff)
        ticket = called["ticket"]["id"]
        visit = self.ok(
            "POST", "/api/v1/visits", self.staff, {"ticket_id": ticket, "counter_id": self.counter}
        )
        vid = visit["id"]  # openVisit shows the POST's answer
        self.read_card(vid)
        self.refresh(vid)
        moving_in = {"event": "moving-in", "event_date": "2026-11-20", "filed_on": "2026-11-24"}
        self.patch(vid, moving_in)
        self.patch(vid, {"new_address": "窓口デモ市中央一丁目２番３号"})
        guidance = self.patch(
            vid,
            {
                "certificates": [
                    {"kind": "residence", "copies": 1, "scope": "household"},
                    {
                        "kind": "tax",
                        "copies": 1,
                        "fiscal_year": 2026,
                        "tax_kind": "income_taxation",
                    },
                ]
            },
        )
        self.answer_questions(vid, guidance)
        forms = self.ok("GET", f"/api/v1/visits/{vid}/forms", self.staff)["forms"]
        for form in forms[:3]:
            self.ok("GET", f"/api/v1/visits/{vid}/forms/{form['form']}/preview", self.staff)
        self.ok("POST", f"/api/v1/visits/{vid}/confirm", self.staff)
        for _ in range(3):  # the tablet polls every second while the resident reads
            self.poll("/api/v1/tablet/current", self.tablet)
        wait = f"/api/v1/tablet/visits/{vid}/signature-wait"
        self.poll(wait, self.staff)  # waitForSignature: its first answer (no ETag held yet)
        # Then it long-polls (staff.js longPoll): a wait the signature answers, which looks
        # once more every long_poll.RECHECK_SECONDS while the resident signs (each look costs
        # what a 304 poll costs, less the HTTP request: modelled as one).
        for _ in range(self.signature_polls):
            self.poll(wait, self.staff)
        # The devices' long-polls look every RECHECK_SECONDS all day, visit or not: one here.
        self.poll(f"/api/v1/tablet/status?counter_id={self.counter}", self.staff)
        signature = {"signature": SIGNATURE}
        self.ok("POST", f"/api/v1/tablet/visits/{vid}/signature", self.tablet, signature)
        self.poll("/api/v1/tablet/current", self.tablet)
        self.poll(wait, self.staff)  # signed: the console reads the visit once, with guidance
        signed = self.ok("GET", f"/api/v1/visits/{vid}/with-guidance?documents=true", self.staff)
        if not signed["documents"]:  # and the signed documents, in the same answer
            raise RuntimeError(f"visit {vid}: signed, but no documents listed")
        self.ok("POST", f"/api/v1/visits/{vid}/handoff", self.staff)

    def answer_questions(self, vid: str, guidance: dict[str, Any]) -> None:
        """staff.js: the open questions answered by id (POST /answers, answered with the
        guidance); again while answers open new questions."""
        for _ in range(6):
            answers = {
                q["id"]: value for q in guidance["questions"] if (value := _answer(q)) is not None
            }
            if not answers:
                return
            url = f"/api/v1/visits/{vid}/answers"
            guidance = self.ok("POST", url, self.staff, {"answers": answers})["guidance"]

    def read_card(self, vid: str) -> None:
        job = self.ok(
            "POST", "/api/v1/agent/card-reads", self.staff, {"visit_id": vid, "pin_at": "tablet"}
        )
        self.poll("/api/v1/tablet/current", self.tablet)
        self.ok("POST", f"/api/v1/agent/jobs/{job['id']}/pin", self.tablet, {"pin": AGENT_PIN})
        done = self.ok("GET", f"/api/v1/agent/jobs/{job['id']}?wait=20", self.staff)
        while done["status"] not in ("done", "failed"):
            done = self.ok("GET", f"/api/v1/agent/jobs/{job['id']}?wait=20", self.staff)
        if done["status"] != "done":
            raise RuntimeError(f"card read failed: {done}")


def _answer(question: dict[str, Any]) -> Any:
    """The answer bench/load.py gives: いいえ, the first choice, nationality JP."""
    if question["type"] == "bool":
        return False
    if question["type"] == "choice" and question.get("choices"):
        return question["choices"][0]
    if question["id"].endswith("nationality"):
        return "JP"
    return 0 if question["type"] == "int" else "わからない"


def children_cpu() -> float:
    """CPU seconds of this process's live descendants (the render pool's workers are children
    of the forkserver, itself our child), read from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pending = [str(os.getpid())]
    while pending:
        parent = pending.pop()
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{parent}/task").iterdir():
                for pid in (task / "children").read_text().split():
                    pending.append(pid)
                    with contextlib.suppress(OSError):
                        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                        total += (int(stat[11]) + int(stat[12])) / tick  # utime + stime
    return total


STATEMENTS = [0]  # a running count of the SQL statements the server sends, once counted
SQL_LOG: list[str] | None = None  # with --sql-log: each statement, then the request that sent it


def count_statements() -> list[int]:
    """Start counting the SQL statements the server sends into ``STATEMENTS``."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "before_cursor_execute")
    def _counted(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        STATEMENTS[0] += 1
        if SQL_LOG is not None:
            SQL_LOG.append("    " + " ".join(statement.split())[:200])

    return STATEMENTS


class CallCounter:
    """Function calls on the threads started after ``install`` (the app's, not the client's),
    counted while ``on``."""

    def __init__(self) -> None:
        self.on = False
        self.calls = 0

    def install(self) -> None:
        def profile(_frame: object, event: str, _arg: object) -> None:
            if self.on and event in ("call", "c_call"):
                self.calls += 1

        threading.setprofile(profile)


class UnitTimer:
    """The thread CPU of each unit of work (``access._authorized_then``: the caller checked,
    the route's work, the commit) by route, counted while ``on``. The load bench found the
    threads that run them are ≈ 90 % of the server's CPU (``bench/load.py``'s
    ``server_cpu_seconds_per_visit_by_thread``): this says which routes' units it is, without
    the event loop's part or the client's."""

    def __init__(self) -> None:
        self.on = False
        self.seconds: dict[str, float] = collections.defaultdict(float)
        self.count: dict[str, int] = collections.defaultdict(int)

    def install(self, access: Any) -> None:
        """Wrap ``access._authorized_then`` (looked up when each request runs)."""
        run = access._authorized_then

        def timed(request: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return run(request, *args, **kwargs)
            finally:
                if self.on:
                    route = request.scope.get("route")
                    kind = f"{request.method} {getattr(route, 'path', '?')}"
                    self.seconds[kind] += time.thread_time() - started
                    self.count[kind] += 1

        access._authorized_then = timed

    def print(self, visits: int) -> None:
        total = sum(self.seconds.values())
        units = sum(self.count.values())
        a_visit = f"{total / visits:.3f} s thread CPU a visit, {units / visits:.1f} units"
        print(f"units of work         {a_visit}")
        print("  per route           ms each   count/visit  ms/visit")
        for kind in sorted(self.seconds, key=self.seconds.__getitem__, reverse=True):
            each = self.seconds[kind] / self.count[kind] * 1000
            per_visit = self.count[kind] / visits
            print(f"  {kind:<52} {each:7.2f} {per_visit:6.1f} {each * per_visit:9.1f}")


def server_cpu(action: Callable[[], T]) -> tuple[float, T]:
    """CPU seconds spent outside the calling thread while ``action`` runs, render pool
    processes included; and what ``action`` returned."""
    process, own, children = time.process_time(), time.thread_time(), children_cpu()
    result = action()
    spent = (time.process_time() - process) - (time.thread_time() - own)
    return spent + children_cpu() - children, result


class RequestTally:
    """Server CPU and count per request kind (method and route, ids left out)."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = collections.defaultdict(float)
        self.count: dict[str, int] = collections.defaultdict(int)
        self.statements: dict[str, int] = collections.defaultdict(int)

    def add(self, kind: str, seconds: float, statements: int) -> None:
        self.cpu[kind] += seconds
        self.count[kind] += 1
        self.statements[kind] += statements

    def clear(self) -> None:
        self.cpu.clear()
        self.count.clear()
        self.statements.clear()

    def print(self, visits: int) -> None:
        print(f"requests/visit        {sum(self.count.values()) / visits:.1f}")
        print("  per request kind    ms each   count/visit  ms/visit  SQL each")
        for kind in sorted(self.cpu, key=self.cpu.__getitem__, reverse=True):
            each = self.cpu[kind] / self.count[kind] * 1000
            per_visit = self.count[kind] / visits
            sql = self.statements[kind] / self.count[kind]
            print(f"  {kind:<52} {each:7.2f} {per_visit:6.1f} {each * per_visit:9.1f} {sql:6.1f}")


def _log_request(kind: str, statements: int) -> None:
    """Close the SQL log's block of statements with the request that sent them."""
    if SQL_LOG is not None:
        SQL_LOG.append(f"=== {kind}: {statements} statements")


def _route(url: str) -> str:
    return re.sub(r"[0-9a-f]{32}", "{id}", url.split("?")[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--visits", type=int, default=5, help="visits per round")
    parser.add_argument("--healthz", type=int, default=500, help="health checks per round")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved measurement rounds")
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument(
        "--signature-polls",
        type=int,
        default=0,
        help="extra looks of the console's signature wait while the resident signs (one per "
        "long_poll.RECHECK_SECONDS)",
    )
    parser.add_argument(
        "--count-calls",
        action="store_true",
        help="also count the server threads' function calls per visit (slows the run down)",
    )
    parser.add_argument(
        "--units",
        action="store_true",
        help="also time each unit of work's thread CPU, by route",
    )
    parser.add_argument(
        "--sql-log",
        help="write the last round's SQL statements to this file, grouped by request",
    )
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="madoguchi-bench-")
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    os.environ["MADOGUCHI_DATABASE_URL"] = url
    os.environ.setdefault("MADOGUCHI_LOG_LEVEL", "WARNING")
    os.environ.setdefault("MADOGUCHI_DATA_DIR", folder)

    from fastapi.testclient import TestClient

    from backend.app import create_app

    prepare_database(url)
    counter = CallCounter()
    if args.count_calls:
        counter.install()
    units = UnitTimer()
    if args.units:
        from backend.platform import access

        units.install(access)
    stop = threading.Event()
    with TestClient(create_app()) as client:
        start_agent(stop)
        visitor = Visitor(client, args.signature_polls)
        visitor.play()  # warm-up: imports, fonts, layouts, catalogs
        for _ in range(50):
            client.get("/healthz")

        def visits() -> None:
            for _ in range(args.visits):
                visitor.play()

        def health_checks() -> None:
            for _ in range(args.healthz):
                client.get("/healthz")

        statements = count_statements()
        visitor.requests.clear()
        per_visit, per_check = [], []
        global SQL_LOG
        for round_number in range(args.rounds):
            if args.sql_log and round_number == args.rounds - 1:
                SQL_LOG = []
            per_check.append(server_cpu(health_checks)[0] / args.healthz)
            before = statements[0]
            counter.on = units.on = True
            per_visit.append(server_cpu(visits)[0] / args.visits)
            counter.on = units.on = False
            sql_per_visit = (statements[0] - before) / args.visits
        stop.set()
    if args.sql_log and SQL_LOG is not None:
        with open(args.sql_log, "w", encoding="utf-8") as log:
            log.write("\n".join(SQL_LOG) + "\n")

    # Other processes on the machine only ever add CPU time (cache misses, switches): the
    # best round is the steadiest figure; the median is printed beside it.
    visit_s, check_s = min(per_visit), min(per_check)
    print(f"database              {url.split(':')[0]}")
    print(f"visits                {args.visits} x {args.rounds} rounds")
    rounds = ", ".join(f"{v:.3f}" for v in per_visit)
    print(f"server CPU per visit  {visit_s:.3f} s best, {statistics.median(per_visit):.3f} median")
    print(f"  rounds              {rounds}")
    print(f"server CPU /healthz   {check_s * 1000:.3f} ms best")
    print(f"SQL statements/visit  {sql_per_visit:.0f}")
    if args.count_calls:
        print(f"calls/visit           {counter.calls / (args.visits * args.rounds) / 1000:.0f}k")
    print(f"one visit =           {visit_s / check_s:.0f} /healthz requests")
    visitor.requests.print(args.visits * args.rounds)
    if args.units:
        units.print(args.visits * args.rounds)
    verdict = "target met" if visit_s <= 0.09 else "done" if visit_s <= 0.15 else "above 0.15"
    print(f"target ≤ 0.09 s, done ≤ 0.15 s: {verdict}")


if __name__ == "__main__":
    main()
