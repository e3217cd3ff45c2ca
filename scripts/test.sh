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
# the studio's browser tests drive Debian's chromium (Playwright never downloads a browser)
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium for the studio's browser tests..." >&2
  (timeout 300 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 900 \
    apt-get install -y -qq chromium >/dev/null) >&2 || echo "chromium not installed: the browser tests will be skipped" >&2
fi
"$PY" -m mypy archibald   # strict (pyproject's [tool.mypy]); a type error fails the run
status=$?
# two pytest-xdist workers (ARCHIBALD_TEST_WORKERS=0: one process), each with its own
# PostgreSQL database (tests/pg_helpers.py)
"$PY" -m pytest -n "${ARCHIBALD_TEST_WORKERS:-2}" "$@" || status=$?
scripts/pg-test-server.sh stop "$PGDIR"
exit $status
