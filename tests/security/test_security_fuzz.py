"""schemathesis against the whole OpenAPI, as a logged-in tenant admin: no 5xx, and every
response that the schema describes matches it. Bounded: ~1,200 generated requests in total,
spread over the operations, so it stays within a few minutes on two cores.

Left out of the fuzzing (covered by their own tests): logging out (it would end the fuzzing
session) and configuring the OpenID provider (fuzzed issuers would make later logins call
random URLs).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from security_world import login
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from backend.platform import db as db_module
from backend.platform import migrate
from backend.seed import seed_demo

TOTAL_REQUESTS = 1200
EXCLUDED = {("POST", "/api/v1/auth/logout"), ("PUT", "/api/v1/auth/oidc/provider")}


@pytest.fixture
def fuzz_app(tmp_path: Path) -> Iterator[Any]:
    from backend.app import create_app

    engine = db_module.make_engine(f"sqlite:///{tmp_path / 'fuzz.db'}")
    migrate.upgrade(engine)
    with Session(engine) as session:
        session.info["unscoped"] = True
        seed_demo(session)
        session.commit()
    previous = db_module._engine
    db_module.reset_engine(engine)
    try:
        yield create_app()
    finally:
        db_module.reset_engine(previous)
        engine.dispose()


def _fuzz(
    operation: Any,
    budget: int,
    seed: int,
    headers: dict[str, str],
    sent: Counter[str],
    failures: list[str],
) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=budget,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis_seed(seed)
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        sent[operation.label] += 1
        try:
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )
        except AssertionError as error:  # collect all, report together
            failures.append(f"{operation.label}: {str(error)[:400]}")

    run()


@pytest.mark.slow
def test_fuzz_the_api(fuzz_app: Any) -> None:
    headers = login(TestClient(fuzz_app), "admin")
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if (result.ok().method.upper(), result.ok().path) not in EXCLUDED
    ]
    sent: Counter[str] = Counter()
    failures: list[str] = []
    # Operations without parameters exhaust after one example; the budget they leave goes to
    # the others, round after round (each round with a new seed).
    active = operations
    for round_number in range(6):
        remaining = TOTAL_REQUESTS - sum(sent.values())
        if remaining <= 0 or not active:
            break
        budget = math.ceil(remaining / len(active))
        still_productive = []
        for operation in active:
            before = sent[operation.label]
            _fuzz(operation, budget, round_number, headers, sent, failures)
            if sent[operation.label] - before >= budget:
                still_productive.append(operation)
        active = still_productive
    assert not failures, "\n".join(failures[:20])
    assert sum(sent.values()) >= 1000, sent
