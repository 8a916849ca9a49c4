#!/usr/bin/env bash
# Builds the C ABI tests against build/stage with AddressSanitizer and UBSan, checks the
# header compiles as C99 and C++ and agrees with the declarations Swift generates, then
# runs the tests with a private glewlwyd.
set -euo pipefail
# The shared runner helpers: the kernel keyring stays off unless in a session of its own.
# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$(dirname "$0")/../.."
STAGE=$PWD/build/stage
OUT=$PWD/build/tests
mkdir -p "$OUT"
export PKG_CONFIG_PATH=$STAGE/lib/pkgconfig

# The header is the contract: strict C99, C++, and the same as what Swift exports.
cc -std=c99 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -x c include/flyteauth.h
c++ -std=c++11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -x c++ include/flyteauth.h
bash Tests/abi/check-header-drift.sh
# The growth rule and the export list: make abi-check and check-exports fail on each breach.
bash Tests/abi/check-abi-rule.sh

# shellcheck disable=SC2046  # pkg-config's flags are split on purpose
cc -std=c11 -Wall -Wextra -Werror -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
    Tests/abi/abi_test.c -o "$OUT/abi_test" $(pkg-config --cflags --libs flyteauth) $(pkg-config --cflags --libs libcurl) -lpthread

state=$(mktemp -d)/state.json
PY=${PYTHON:-python3}
cleanup() { (cd Tests/e2e && "$PY" -m harness down --state "$state" >/dev/null 2>&1) || true; }
trap cleanup EXIT
(cd Tests/e2e && "$PY" -m harness up --state "$state" --access-token-duration 4 >/dev/null)
# The Swift runtime allocates at load and keeps it: not a leak of ours.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
LD_LIBRARY_PATH=$STAGE/lib FLYTEAUTH_TEST_STATE=$state "$OUT/abi_test"
