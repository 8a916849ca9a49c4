#!/usr/bin/env bash
# Fault injection suite (Tests/e2e/test_faults.py): every bad answer against every
# request a login or refresh makes; prints the table of results (case, status, message,
# time to fail, cached token kept), also kept in build/tests/fault-table.md.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
VENV=${VENV:-/opt/flyteauth-venv}
rm -f build/tests/fault-table.md
"$VENV/bin/python" -m pytest Tests/e2e/test_faults.py -q -p no:cacheprovider "$@"
status=$?
[ -f build/tests/fault-table.md ] && cat build/tests/fault-table.md
exit "$status"
