#!/usr/bin/env bash
# `make test`: lint, types, then every test. Under CI=true the services the tests need are
# started here when installed but stopped, and nothing may be skipped for a missing service.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${CI:-}" = "true" ]; then
  export MADOGUCHI_TEST_POSTGRES_URL=${MADOGUCHI_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}
  if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "[test] starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi

echo "[test] ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "[test] mypy"
.venv/bin/mypy
echo "[test] pytest"
# In parallel, one worker per core (pytest-xdist); the card-reader and browser tests stay on one
# worker (tests/conftest.py groups them). MADOGUCHI_TEST_WORKERS=0 runs everything in one process.
# --tb=native: pytest's own traceback formatting re-parses sources with `ast`, which on CPython
# 3.11.7 can fail with "AST constructor recursion depth mismatch" and take the worker down
# (pytest-dev/pytest#10874, python/cpython#106905).
exec .venv/bin/pytest -n "${MADOGUCHI_TEST_WORKERS:-auto}" --dist loadgroup --tb=native "$@"
