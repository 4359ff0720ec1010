"""Server CPU-seconds per request of `madoguchi serve` on each HTTP parser and event loop.

Usage: .venv/bin/python bench/serve_cpu.py [--requests N] [--port P] [VARIANT ...]
VARIANT is PARSER-LOOP: h11-asyncio (uvicorn's pure-Python parser, as before issue 17),
httptools-uvloop (what serve uses now), httptools-asyncio, h11-uvloop. Default: the first two.

For each variant: a fresh SQLite database (migrated, seeded) in a temporary folder, the server
started with serve's own options (``server_cli.uvicorn_options``: logging through the masking
filter at INFO, so one access line a request) but the parser and loop of the variant, on
127.0.0.1:PORT (default 18311). One keep-alive httpx client sends N ``GET /healthz``
(three rounds, the best kept) and N/4 ``GET /api/v1/counters`` as the demo clerk. The server's
CPU is read from /proc/PID/stat, so the client's own work is left out.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = """
import sys
import uvicorn
from backend import server_cli
from backend.platform.logging_setup import configure_for_command

parser, loop, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
options = server_cli.uvicorn_options(configure_for_command())
protocols = {"h11": "NoDelayH11Protocol", "httptools": "NoDelayHttpToolsProtocol"}
options.update(http=getattr(server_cli, protocols[parser]), loop=loop)
uvicorn.run("backend.app:create_app", factory=True, host="127.0.0.1", port=port, **options)
"""


def madoguchi(env: dict[str, str], *args: str) -> None:
    command = [sys.executable, "-c", "from backend.cli import main; main()", *args]
    subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)


def process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def best_of_three(pid: int, count: int, request: Callable[[], httpx.Response]) -> float:
    """The least server CPU-seconds a request over three rounds of ``count`` requests."""
    best = float("inf")
    for _ in range(3):
        before = process_cpu(pid)
        for _ in range(count):
            request().raise_for_status()
        best = min(best, (process_cpu(pid) - before) / count)
    return best


def wait_until_up(client: httpx.Client) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            client.get("/healthz").raise_for_status()
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def measure(variant: str, requests: int, port: int) -> str:
    from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE

    parser, loop = variant.split("-")
    folder = tempfile.mkdtemp(prefix="madoguchi-serve-cpu-")
    env = os.environ | {
        "MADOGUCHI_DATABASE_URL": f"sqlite:///{folder}/serve.db",
        "MADOGUCHI_DATA_DIR": folder,
        "MADOGUCHI_ENVIRONMENT": "development",
        "MADOGUCHI_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "MADOGUCHI_LOG_LEVEL": "INFO",
    }
    madoguchi(env, "db", "upgrade")
    madoguchi(env, "seed")
    with open(f"{folder}/serve.log", "w") as log:
        command = [sys.executable, "-c", LAUNCHER, parser, loop, str(port)]
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            wait_until_up(client)
            for _ in range(200):  # warm-up
                client.get("/healthz")
            health = best_of_three(server.pid, requests, lambda: client.get("/healthz"))
            credentials = {"username": "clerk", "password": DEMO_PASSWORD}
            login = {"tenant_code": DEMO_TENANT_CODE, **credentials}
            client.post("/api/v1/auth/login", json=login).raise_for_status()
            counters = best_of_three(
                server.pid, requests // 4, lambda: client.get("/api/v1/counters")
            )
    finally:
        server.terminate()
        server.wait(10)
    return f"{variant:<18} GET /healthz {health * 1000:.3f} ms   GET /api/v1/counters " + (
        f"{counters * 1000:.3f} ms  (server CPU a request, best of 3)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("variants", nargs="*", default=["h11-asyncio", "httptools-uvloop"])
    parser.add_argument("--requests", type=int, default=2000, help="GET /healthz a round")
    parser.add_argument("--port", type=int, default=18311)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    for variant in args.variants:
        print(measure(variant, args.requests, args.port), flush=True)


if __name__ == "__main__":
    main()
