"""One thread hand-off per request or five: GET visit both ways, interleaved in one process.

Usage: .venv/bin/python bench/hot_route.py [--requests N] [--rounds N]

The app's ``GET /api/v1/visits/{id}`` (``access.run_authorized``: authenticate, read, commit in
one worker thread) against the same body behind FastAPI's sync dependencies (``require`` +
``SessionDep`` + a sync route), mounted beside it for the comparison. Same visit, same session,
same audit (the unchanged visit is audited once), rounds interleaved: the machine's noise falls
on both alike. Prints server CPU ms per request (best round) and the ratio.
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parent))

from visit_cpu import prepare_database, server_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per round and way")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="madoguchi-bench-")
    url = f"sqlite:///{folder}/bench.db"
    os.environ["MADOGUCHI_DATABASE_URL"] = url
    os.environ.setdefault("MADOGUCHI_LOG_LEVEL", "WARNING")
    os.environ.setdefault("MADOGUCHI_DATA_DIR", folder)

    from fastapi import Depends
    from fastapi.testclient import TestClient

    from backend.app import create_app
    from backend.counter import service
    from backend.counter.schemas import VisitRead
    from backend.counter.views import visit_read
    from backend.platform.access import Permission, Principal, require
    from backend.platform.deps import SessionDep
    from backend.seed import DEMO_PASSWORD, DEMO_TENANT_CODE

    prepare_database(url)
    app = create_app()

    @app.get("/bench/sync-deps/{visit_id}", response_model=VisitRead)
    def sync_deps(
        visit_id: str,
        principal: Annotated[Principal, Depends(require(Permission.VISIT_READ))],
        session: SessionDep,
    ) -> VisitRead:
        return visit_read(session, service.view_visit(session, visit_id, principal))

    app.router.routes.insert(0, app.router.routes.pop())  # before the static files' mount

    with TestClient(app) as client:
        login = client.post(
            "/api/v1/auth/login",
            json={"tenant_code": DEMO_TENANT_CODE, "username": "clerk", "password": DEMO_PASSWORD},
        )
        login.raise_for_status()
        staff = {"x-csrf-token": login.json()["csrf_token"]}
        counters = client.get("/api/v1/counters").json()
        counter = next(c for c in counters if c["code"] == "1")["id"]
        opened = client.post("/api/v1/visits", json={"counter_id": counter}, headers=staff)
        vid = opened.json()["id"]
        ways = {"one hand-off": f"/api/v1/visits/{vid}", "sync deps": f"/bench/sync-deps/{vid}"}
        best = dict.fromkeys(ways, float("inf"))
        for _ in range(args.rounds):
            for name, path in ways.items():

                def requests(path: str = path) -> None:
                    for _ in range(args.requests):
                        response = client.get(path)
                        assert response.status_code == 200, (path, response.text[:300])

                best[name] = min(best[name], server_cpu(requests)[0] / args.requests)
    for name, seconds in best.items():
        print(f"GET visit, {name:<14} {seconds * 1000:6.2f} ms server CPU (best of {args.rounds})")
    print(f"ratio                    {best['one hand-off'] / best['sync deps']:.2f}")


if __name__ == "__main__":
    main()
