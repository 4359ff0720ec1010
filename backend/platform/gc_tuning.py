"""The garbage collector tuned for a server process (the API, the worker, the render pool).

CPython collects its youngest generation every 700 net allocations of container objects. A
request allocates tens of thousands (ORM rows, statements, pydantic models, PDF objects), so a
visit triggered about a hundred collections, each also walking whatever survived the last, and
the occasional full collection walked every object the process holds: the imported modules,
SQLAlchemy's mappers, the fonts' tables. Measured in-process (``bench/visit_cpu.py`` under a
``gc.callbacks`` probe): 1151 young collections and 0.89 CPU-seconds of collecting in a run of
≈ 15 visits; with the settings below 33 collections and 0.29 s.

* ``gc.freeze()`` once the process is set up: what exists then (modules, mappers, fonts,
  compiled statements) lives as long as the process and is never walked again.
* A young generation of ``YOUNG_THRESHOLD`` allocations: still a few megabytes at most of
  garbage held between collections; reference counting frees everything without a cycle at
  once, as before.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000  # CPython's default: 700
OLDER_THRESHOLDS = (20, 20)  # collections of the next younger generation (default 10, 10)


_tuned = False


def tune_for_serving() -> None:
    """Freeze what the process holds now and collect less often from now on; once per process
    (an app started again in the same process, as tests do, changes nothing more). Call it
    once the process has imported and set up what it serves with."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    gc.collect()  # not freeze cycles that are already garbage
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
