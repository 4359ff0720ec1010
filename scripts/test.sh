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
# --tb=native: pytest's own traceback formatting re-parses sources with `ast`, which on CPython
# 3.11.7 can fail with "AST constructor recursion depth mismatch" and stop the run
# (pytest-dev/pytest#10874, python/cpython#106905).
if [ $# -gt 0 ] || [ "${MADOGUCHI_TEST_PROCESSES:-2}" = "1" ]; then
  exec .venv/bin/pytest --tb=native "$@"
fi
# Two processes side by side: the tests that drive the card reader or Chromium (marked `serial`
# in tests/conftest.py: they share the reader's slots) one after another, and everything else.
mkdir -p var
.venv/bin/pytest --tb=native -m serial > var/test-serial.out 2>&1 &
serial=$!
.venv/bin/pytest --tb=native -m "not serial" > var/test-rest.out 2>&1 &
rest=$!
serial_status=0; rest_status=0
wait "$serial" || serial_status=$?
wait "$rest" || rest_status=$?
echo "[test] the card-reader and browser tests"; cat var/test-serial.out
echo "[test] the other tests"; cat var/test-rest.out
echo "[test] exit: card-reader and browser $serial_status, others $rest_status"
[ "$serial_status" -eq 0 ] && [ "$rest_status" -eq 0 ]
