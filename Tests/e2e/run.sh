#!/usr/bin/env bash
# End-to-end tests against a real glewlwyd: interactive logins from C (PKCE, device flow,
# refresh, rotation) and the token cache against a real gnome-keyring (pytest).
set -euo pipefail
# The shared runner helpers: the kernel keyring stays off unless in a session of its own.
# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$(dirname "$0")/../.."
ROOT=$PWD
STAGE=$ROOT/build/stage
OUT=$ROOT/build/tests
mkdir -p "$OUT"
export PKG_CONFIG_PATH=$STAGE/lib/pkgconfig
export PYTHON=${PYTHON:-python3}
export PYTHONPATH=$ROOT/Tests/e2e${PYTHONPATH:+:$PYTHONPATH}

# shellcheck disable=SC2046  # pkg-config's flags are split on purpose
cc -std=c11 -Wall -Wextra -Werror -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
    -I Tests/abi Tests/e2e/login_test.c -o "$OUT/login_test" $(pkg-config --cflags --libs flyteauth libcurl) -lpthread

tmp=$(mktemp -d)
cleanup() {
    for s in "$tmp"/state*.json; do [ -f "$s" ] && "$PYTHON" -m harness down --state "$s" >/dev/null 2>&1 || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
# Eight redirect ports, registered on both identity providers.
base=$(( 10000 + RANDOM % 22000 ))  # below the ephemeral range (32768-60999)
ports=(); for i in 0 1 2 3 4 5 6 7; do ports+=(--redirect-port $((base + i))); done
"$PYTHON" -m harness up --state "$tmp/state.json" --access-token-duration 4 "${ports[@]}" >/dev/null
"$PYTHON" -m harness up --state "$tmp/state-rotating.json" --access-token-duration 4 --refresh-one-use "${ports[@]}" >/dev/null

export ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
LD_LIBRARY_PATH=$STAGE/lib FLYTEAUTH_TEST_STATE=$tmp/state.json FLYTEAUTH_TEST_STATE_ROTATING=$tmp/state-rotating.json \
    FLYTEAUTH_TEST_PORT_BASE=$base "$OUT/login_test"

# The token cache against a real gnome-keyring, and the harness's own checks.
VENV=${VENV:-/opt/flyteauth-venv}
"$VENV/bin/python" -m pytest Tests/e2e/test_engine.py Tests/e2e/test_cache.py Tests/e2e/test_cache_faults.py Tests/e2e/test_cross_language.py Tests/e2e/test_interop_matrix.py Tests/e2e/test_harness.py \
    Tests/e2e/test_hardening.py -q -p no:cacheprovider
