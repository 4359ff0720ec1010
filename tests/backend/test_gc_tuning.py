"""A serving process collects garbage rarely and never walks what it was set up with
(``backend.platform.gc_tuning``): checked in a process of its own, as the server starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from backend.platform import gc_tuning

PROBE = """
import gc, json
from fastapi.testclient import TestClient
from backend.app import create_app
before = gc.get_threshold()
with TestClient(create_app()):
    print(json.dumps({"before": before, "after": gc.get_threshold(),
                      "frozen": gc.get_freeze_count()}))
"""


def test_the_app_freezes_its_setup_and_raises_the_young_threshold(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'gc.db'}",
        "MADOGUCHI_ENVIRONMENT": "test",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["before"][0] == 700  # CPython's default, before the app started
    assert seen["after"] == [gc_tuning.YOUNG_THRESHOLD, *gc_tuning.OLDER_THRESHOLDS]
    assert seen["frozen"] > 100_000  # modules, mappers and fonts: never walked again
