#!/usr/bin/env bash
# The test suite as CI runs it: a loopback PostgreSQL server when one can be had, mypy, pytest.
set -u
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
PGDIR=$(pwd)/.pg
eval "$(scripts/pg-test-server.sh start "$PGDIR")"
if [ -n "${ARCHIBALD_TEST_PG_SKIP:-}" ]; then
  echo "PostgreSQL tests will be skipped: $ARCHIBALD_TEST_PG_SKIP"
else
  echo "PostgreSQL test server: ${ARCHIBALD_TEST_PG_URL}"
fi
export ARCHIBALD_TEST_PG_URL ARCHIBALD_TEST_PG_SKIP
"$PY" -m mypy archibald   # strict (pyproject's [tool.mypy]); a type error fails the run
status=$?
"$PY" -m pytest "$@" || status=$?
scripts/pg-test-server.sh stop "$PGDIR"
exit $status
