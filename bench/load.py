"""Load benchmark: C counters playing full visits against a running server, over the real
protocols (the screens' HTTP requests, the agent's WebSocket, a signed webhook).

    .venv/bin/python bench/load.py --url http://127.0.0.1:8000 --counters 16 --seconds 60 [--json]

Each counter is a clerk's staff console, a ticket machine, a tablet and a counter agent with a
synthetic card, looping ticket → call → visit → card (PIN on the tablet) → guidance → address,
certificates, answers → every form previewed → tablet signature → hand-off; a webhook receiver
in this process stands in for the back office and counts the deliveries. Prints visits/s,
server CPU-seconds per visit (the processes listening on the URL's port and their children, or
``--server-pids``; split into what serves requests and the render processes), p50/p95/p99 per
step, errors, and the ratio of the median request to the
median ``/healthz`` probed in the same run.

The server must run ``madoguchi seed``'s demo municipality (the clerk and admin accounts) and a
``madoguchi worker`` (it delivers the webhooks). Devices are paired through the API for the run
and revoked at its end. The API cannot create counters: for more counters than the seed has,
run ``bench/load_counters.py --counters C`` against the server's database first.
Exit 2 when the server cannot be reached or is not seeded (or lacks counters).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import load_server
from load_actors import AgentTrouble, CounterDevices, CounterPlayer, RunState, StepFailed
from load_stats import (
    Recorder,
    format_report,
    ratio,
    request_median,
    step_summary,
)

DEMO_TENANT = "991007"
DEMO_PASSWORD = "madoguchi-demo"  # the seed's demo password (development only)
PROBE_SECONDS = 0.1
DRAIN_SECONDS = 90.0
WEBHOOK_WAIT_SECONDS = 30.0
REVOKE_SECONDS = 60.0
STAGGER_SECONDS = 10.0  # the counters' first visits are spread over this (about one visit)


class NotReady(Exception):
    """The server cannot be benchmarked as it is (exit 2): unreachable, not seeded, too small."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Play C counters of full visits against a running madoguchi server."
    )
    parser.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--counters", type=int, required=True, help="counters played at once")
    parser.add_argument("--seconds", type=float, required=True, help="measurement window")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before measuring")
    parser.add_argument(
        "--server-pids", help="comma-separated pids to measure (default: found by the port)"
    )
    parser.add_argument(
        "--worker-pids", help="comma-separated pids of `madoguchi worker` (CPU shown apart)"
    )
    parser.add_argument("--tenant-code", default=DEMO_TENANT)
    parser.add_argument("--clerk", default="clerk", help="staff account of the clerks")
    parser.add_argument("--admin", default="admin", help="tenant admin (pairs the devices)")
    parser.add_argument("--password", default=DEMO_PASSWORD, help="password of both accounts")
    parser.add_argument(
        "--webhook-port",
        type=int,
        default=8799,
        help="port of the back-office receiver (fixed, so its destination is reused; 0: any)",
    )
    args = parser.parse_args(argv)
    if args.counters < 1 or args.seconds <= 0:
        parser.error("--counters must be at least 1 and --seconds positive")
    return args


# --- preparing the server through the API ---------------------------------------------------


@dataclass
class Prepared:
    queue_id: str
    area_full_name: str
    counters: list[CounterDevices]


async def check_reachable(client: httpx.AsyncClient) -> None:
    try:
        response = await client.get("/healthz")
    except httpx.HTTPError as exc:
        raise NotReady(f"サーバーに接続できません / server unreachable: {exc!r}") from exc
    if response.status_code != 200:
        raise NotReady(f"/healthz answered {response.status_code}")


async def login(client: httpx.AsyncClient, args: argparse.Namespace, username: str) -> str:
    """A staff session in ``client`` (cookie); returns the CSRF token."""
    body = {"tenant_code": args.tenant_code, "username": username, "password": args.password}
    response = await client.post("/api/v1/auth/login", json=body)
    if response.status_code != 200:
        raise NotReady(
            f"{username} cannot log in to {args.tenant_code} ({response.status_code}): "
            "is the server seeded (`madoguchi seed`)?"
        )
    return str(response.json()["csrf_token"])


async def api(
    client: httpx.AsyncClient, csrf: str, method: str, path: str, body: Any = None
) -> Any:
    """A setup request; any error stops the run (exit 2) with the server's message."""
    headers = {"x-csrf-token": csrf} if method != "GET" else None
    response = await client.request(method, path, json=body, headers=headers)
    if response.status_code >= 400:
        raise NotReady(f"{method} {path} answered {response.status_code}: {response.text[:300]}")
    return response.json() if response.content else None


async def pair(client: httpx.AsyncClient, csrf: str, kind: str, name: str, **place: str) -> Any:
    """Create a device and pair it with its one-time code: (device, token)."""
    created = await api(
        client, csrf, "POST", "/api/v1/devices", {"kind": kind, "name": name, **place}
    )
    paired = await api(
        client, csrf, "POST", "/api/v1/devices/pair", {"code": created["pairing_code"]}
    )
    return paired["device"], paired["token"]


async def choose_queue(
    client: httpx.AsyncClient, ticket_token: str, counters: list[dict[str, Any]]
) -> tuple[str, list[dict[str, Any]]]:
    """The ticket machine's queue served by the most counters, and those counters by code."""
    response = await client.get(
        "/api/v1/ticket-machine/queues", headers={"authorization": f"Bearer {ticket_token}"}
    )
    queues = response.json()["queues"]
    if not queues:
        raise NotReady("the ticket machine offers no queue")
    queue = max(queues, key=lambda q: sum(q["id"] in c["queue_ids"] for c in counters))
    serving = sorted(
        (c for c in counters if queue["id"] in c["queue_ids"]), key=lambda c: c["code"]
    )
    return queue["id"], serving


async def prepare(
    admin: httpx.AsyncClient,
    admin_csrf: str,
    clerk: httpx.AsyncClient,
    args: argparse.Namespace,
    run_id: str,
) -> Prepared:
    clerk_csrf = await login(clerk, args, args.clerk)
    counters = await api(clerk, clerk_csrf, "GET", "/api/v1/counters")
    if not counters:
        raise NotReady("the tenant has no counter: is the server seeded (`madoguchi seed`)?")
    probe, probe_token = await pair(
        admin, admin_csrf, "ticket_machine", f"load {run_id} probe", counter_id=counters[0]["id"]
    )
    queue_id, serving = await choose_queue(admin, probe_token, counters)
    await api(admin, admin_csrf, "POST", f"/api/v1/devices/{probe['id']}/revoke")
    if len(serving) < args.counters:
        raise NotReady(
            f"{len(serving)} counters serve the queue, {args.counters} asked: the API cannot add "
            f"counters; run `bench/load_counters.py --counters {args.counters}` with the "
            "server's MADOGUCHI_DATABASE_URL first"
        )
    await revoke_stale_devices(admin, admin_csrf)
    areas = await api(clerk, clerk_csrf, "GET", "/api/v1/addresses/areas")
    if not areas:
        raise NotReady("the tenant has no address areas (/api/v1/addresses/areas)")
    prepared = []
    for counter in serving[: args.counters]:
        place = {"counter_id": counter["id"]}
        name = f"load {run_id} {counter['code']}"
        agent, agent_token = await pair(admin, admin_csrf, "agent", f"{name} agent", **place)
        tablet, tablet_token = await pair(admin, admin_csrf, "tablet", f"{name} tablet", **place)
        ticket, ticket_token = await pair(
            admin, admin_csrf, "ticket_machine", f"{name} ticket", office_id=agent["office_id"]
        )
        prepared.append(
            CounterDevices(
                counter_id=counter["id"],
                code=counter["code"],
                agent_token=agent_token,
                tablet_token=tablet_token,
                ticket_token=ticket_token,
                device_ids=[agent["id"], tablet["id"], ticket["id"]],
            )
        )
    return Prepared(queue_id, areas[0]["full_name"], prepared)


async def register_webhook(admin: httpx.AsyncClient, csrf: str, url: str) -> None:
    """The receiver as the tenant's back-office destination (reused when already there)."""
    port = urlsplit(url).port
    name = f"load-bench-{port}"
    existing = await api(admin, csrf, "GET", "/api/v1/outbox/destinations")
    for destination in existing:
        if destination["name"] == name and destination["config"].get("url") == url:
            if not destination["enabled"]:
                raise NotReady(f"destination {name} exists but is disabled")
            return
    body = {
        "name": name,
        "kind": "webhook",
        "config": {"url": url},
        "secret": load_server.WEBHOOK_SECRET,
        "max_attempts": 20,
        "backoff_base_seconds": 1.0,
        "backoff_max_seconds": 30.0,
    }
    await api(admin, csrf, "POST", "/api/v1/outbox/destinations", body)


async def revoke_stale_devices(admin: httpx.AsyncClient, csrf: str) -> None:
    """Devices an interrupted run paired and never revoked: a stale agent would be taken for
    its counter's agent (offline)."""
    devices = await api(admin, csrf, "GET", "/api/v1/devices")
    stale = [d["id"] for d in devices if d["name"].startswith("load ") and not d["revoked_at"]]
    await revoke(admin, csrf, stale)


async def revoke_within(
    admin: httpx.AsyncClient, csrf: str, device_ids: list[str], seconds: float
) -> None:
    """Revoke the run's devices, but do not hold the figures back for an overloaded server:
    what is left is revoked at the start of the next run."""
    try:
        await asyncio.wait_for(revoke(admin, csrf, device_ids), timeout=seconds)
    except TimeoutError:
        print(f"load.py: devices not all revoked within {seconds:g} s", file=sys.stderr)


async def revoke(admin: httpx.AsyncClient, csrf: str, device_ids: list[str]) -> None:
    for device_id in device_ids:
        with contextlib.suppress(NotReady, httpx.HTTPError):
            await api(admin, csrf, "POST", f"/api/v1/devices/{device_id}/revoke")


# --- the run --------------------------------------------------------------------------------


async def probe_healthz(state: RunState) -> None:
    """The baseline: /healthz every 100 ms on its own connection, timed like every request."""
    async with httpx.AsyncClient(base_url=state.url, trust_env=False, timeout=30) as client:
        while True:
            started = time.perf_counter()
            try:
                response = await client.get("/healthz")
            except httpx.HTTPError as exc:
                state.recorder.error(f"healthz: {type(exc).__name__}")
            else:
                if response.status_code != 200:
                    state.recorder.error(f"healthz: {response.status_code}")
                state.recorder.record("healthz", time.perf_counter() - started)
            await asyncio.sleep(PROBE_SECONDS)


def server_pids(args: argparse.Namespace) -> list[int]:
    """The server's topmost processes (their descendants are measured with them)."""
    if args.server_pids:
        return pid_list(args.server_pids)
    port = urlsplit(args.url).port or (443 if args.url.startswith("https") else 80)
    return load_server.listening_pids(port)


def pid_list(text: str | None) -> list[int]:
    return [int(p) for p in text.split(",")] if text else []


async def run(args: argparse.Namespace) -> dict[str, Any]:
    url = args.url.rstrip("/")
    run_id = time.strftime("%H%M%S")
    limits = httpx.Limits(max_connections=8)
    async with (
        httpx.AsyncClient(base_url=url, trust_env=False, timeout=60, limits=limits) as admin,
        httpx.AsyncClient(base_url=url, trust_env=False, timeout=60, limits=limits) as clerk,
    ):
        await check_reachable(admin)
        admin_csrf = await login(admin, args, args.admin)
        try:
            receiver = load_server.start_receiver("127.0.0.1", args.webhook_port)
        except OSError as exc:
            raise NotReady(f"webhook receiver port {args.webhook_port}: {exc}") from exc
        try:
            prepared = await prepare(admin, admin_csrf, clerk, args, run_id)
            device_ids = [i for c in prepared.counters for i in c.device_ids]
            try:
                await register_webhook(admin, admin_csrf, receiver.url)
                return await measure(args, url, prepared, receiver)
            finally:
                await revoke_within(admin, admin_csrf, device_ids, REVOKE_SECONDS)
        finally:
            receiver.stop()


async def measure(
    args: argparse.Namespace, url: str, prepared: Prepared, receiver: Any
) -> dict[str, Any]:
    recorder = Recorder()
    AgentTrouble(recorder).install()
    state = RunState(url, prepared.queue_id, prepared.area_full_name, recorder)
    login_body = {
        "tenant_code": args.tenant_code,
        "username": args.clerk,
        "password": args.password,
    }
    players = [CounterPlayer(state, devices, login_body) for devices in prepared.counters]
    for player in players:
        try:
            await player.start_screens()
        except StepFailed as exc:
            errors = dict(recorder.errors)
            raise NotReady(f"a counter's screens could not start ({exc}): {errors}") from exc
    pids = server_pids(args)
    workers = pid_list(args.worker_pids)
    probe = asyncio.create_task(probe_healthz(state))
    delays = first_visit_delays(len(players), args.warmup)
    tasks = [
        asyncio.create_task(player.run(first_visit_after=delay))
        for player, delay in zip(players, delays, strict=True)
    ]
    await asyncio.sleep(args.warmup)

    recorder.measuring = True
    node = load_server.NodeAccount()
    split_before = load_server.tree_cpu_split(pids)
    threads_before = load_server.serve_thread_split(pids)
    worker_before = load_server.tree_cpu_seconds(workers)
    window_start = time.perf_counter()
    await asyncio.sleep(args.seconds)
    window_end = time.perf_counter()
    split = load_server.tree_cpu_split(pids)
    threads_after = load_server.serve_thread_split(pids)
    cpu_parts = {role: split[role] - split_before[role] for role in split}
    thread_parts = {part: threads_after[part] - threads_before[part] for part in threads_after}
    cpu = sum(cpu_parts.values())
    worker_cpu = load_server.tree_cpu_seconds(workers) - worker_before
    node_account = node.finish()
    measured = load_server.with_children(pids)
    recorder.measuring = False

    state.stop.set()  # each counter finishes the visit in hand
    _, pending = await asyncio.wait(tasks, timeout=DRAIN_SECONDS)
    for player, task in zip(players, tasks, strict=True):
        if task in pending:
            recorder.error("drain: a counter did not finish its visit within 90 s")
            recorder.note(f"drain: counter {player.counter} stuck at {player.where()}")
            task.cancel()
    probe.cancel()
    await asyncio.gather(*tasks, probe, return_exceptions=True)

    store: load_server.TimedStore = receiver.store
    missing = await asyncio.to_thread(store.wait_for, set(state.handed_off), WEBHOOK_WAIT_SECONDS)
    for _ in missing:
        recorder.error("webhook: not delivered within 30 s of the run's end")
    in_window = {
        vid: at for vid, at in state.handed_off.items() if window_start <= at <= window_end
    }
    recorder.samples["webhook"] = [
        store.arrived[vid] - at for vid, at in in_window.items() if vid in store.arrived
    ]
    worker_part = worker_cpu if workers else None
    outcome = result(args, state, in_window, measured, cpu, worker_part, missing)
    outcome["node"] = node_summary(node_account, cpu, worker_cpu, len(in_window))
    outcome["server_cpu_seconds_per_visit_by_role"] = {
        role: round(seconds / len(in_window), 4) if in_window and pids else None
        for role, seconds in cpu_parts.items()
    }
    # Where the serving processes' own seconds went: the event loop (HTTP, routing, answers)
    # or the threads that run the routes' units of work.
    outcome["server_cpu_seconds_per_visit_by_thread"] = {
        part: round(seconds / len(in_window), 4) if in_window and pids else None
        for part, seconds in thread_parts.items()
    }
    return outcome


def first_visit_delays(counters: int, warmup: float) -> list[float]:
    """When each counter starts its first visit: spread evenly over about one visit, within the
    warm-up. Counters started together stay in step: their visits end in waves (64 at a time,
    every ≈10 s), so a 40 s window counted 3 or 4 waves, and the visits a second and the CPU a
    visit of the same code jumped by a third from run to run."""
    spread = min(STAGGER_SECONDS, warmup)
    return [spread * i / counters for i in range(counters)]


def node_summary(
    account: dict[str, float], server: float, worker: float, visits: int
) -> dict[str, Any]:
    """The node's CPU in the window, per visit by who used it: on a node shared with the bench,
    a run whose node was busy ≥ 95 % is bounded by the node, not by the server."""
    busy = account["node_busy_seconds"]
    parts = {
        "server": server,
        "bench": account["bench_seconds"],
        "database": account["database_seconds"],
        "worker": worker,
    }
    parts["other"] = max(0.0, busy - sum(parts.values()))
    return {
        # clock ticks and the wall clock differ by a tick or two: a saturated node reads 100
        "busy_percent": min(100.0, round(100 * busy / account["node_capacity_seconds"], 1)),
        "cpu_seconds_per_visit": {
            name: (round(value / visits, 4) if visits else None) for name, value in parts.items()
        },
    }


def result(
    args: argparse.Namespace,
    state: RunState,
    in_window: dict[str, float],
    pids: list[int],
    cpu: float,
    worker_cpu: float | None,
    missing: set[str],
) -> dict[str, Any]:
    recorder = state.recorder
    visits = len(in_window)
    healthz = recorder.samples.get("healthz") or []
    healthz_median = sorted(healthz)[len(healthz) // 2] if healthz else None
    staff_requests = sum(len(v) for s, v in recorder.samples.items() if s.startswith("staff."))
    return {
        "url": args.url,
        "counters": args.counters,
        "seconds": args.seconds,
        "visits": visits,
        "visits_per_second": round(visits / args.seconds, 3),
        "visits_total": len(state.handed_off),
        "requests_per_visit": round(recorder.requests / visits, 1) if visits else None,
        "staff_requests_per_visit": round(staff_requests / visits, 1) if visits else None,
        "server_pids": pids,
        "server_cpu_seconds": round(cpu, 3),
        "server_cpu_seconds_per_visit": round(cpu / visits, 4) if visits and pids else None,
        "worker_cpu_seconds_per_visit": (
            round(worker_cpu / visits, 4) if visits and worker_cpu is not None else None
        ),
        "errors": sum(recorder.errors.values()),
        "error_kinds": dict(Counter(recorder.errors).most_common()),
        "stalls": recorder.stalls,
        "notes": dict(recorder.notes),
        "card_reads": {**state.card_reads, "failures": dict(state.card_failures)},
        "webhooks": {
            "expected": len(state.handed_off),
            "delivered": len(state.handed_off) - len(missing),
        },
        "healthz_ratio": ratio(request_median(recorder), healthz_median),
        "steps": {name: step_summary(v) for name, v in sorted(recorder.samples.items()) if v},
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        outcome = asyncio.run(run(args))
    except NotReady as exc:
        print(f"load.py: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    print(json.dumps(outcome, ensure_ascii=False) if args.json else format_report(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
