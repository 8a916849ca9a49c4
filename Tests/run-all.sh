#!/usr/bin/env bash
# Every test suite, one after the other; a failing suite does not stop the others, and a
# suite whose runner is missing fails like any other (no suite is skipped silently).
# Each runner prints its own summary line; the last line sums up the suites.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export VENV=${VENV:-/opt/flyteauth-venv}
export PYTHON=${PYTHON:-python3}
# The shared runner helpers: the kernel keyring stays off unless in a session of its own.
# shellcheck source=Tests/lib.sh
. Tests/lib.sh
passed=0 failed=0 failures=()

suite() {
    local name=$1; shift
    printf '\n===== %s\n' "$name"
    local start=$SECONDS
    if "$@"; then passed=$((passed + 1)); echo "----- $name: ok ($((SECONDS - start)) s)"
    else failed=$((failed + 1)); failures+=("$name"); echo "----- $name: FAILED ($((SECONDS - start)) s)"; fi
}

swift_tests() { swift build --build-tests -q && swift test --skip-build 2>&1 | grep -vE '^(􀟈|◇|↳)' | grep -E '✘|passed|failed|error|Test Suite .All tests'; return "${PIPESTATUS[0]}"; }

suite "swift unit tests" swift_tests
suite "C ABI (ASan, header drift, exports)" bash Tests/abi/run.sh
suite "end to end (glewlwyd, keyring)" bash Tests/e2e/run.sh
suite "fuzz smoke (20 libFuzzer targets, 2 s each)" bash Fuzz/run.sh --smoke
suite "TLS (HTTPS fronts, test CA, CONNECT proxy)" "$VENV/bin/python" -m pytest Tests/e2e/test_tls.py -q -p no:cacheprovider
suite "fault injection (bad answers from Flyte and the IdP)" bash Tests/e2e/run-faults.sh
suite "kernel keyring tier (keyctl session)" bash Tests/kernel/run.sh
suite "coherence (rotating refresh tokens, every tier and tool)" bash Tests/coherence/run.sh
suite "library under ASan+UBSan and TSan (C ABI tests)" bash Tests/sanitize/run.sh all --abi-only
suite "flyteauth tool" "$VENV/bin/python" -m pytest Tests/cli -q -p no:cacheprovider
suite "Python binding" bash bindings/python/run-tests.sh
suite "Python wheel (fresh venv, no installed library)" bash Tests/wheel/run.sh
suite "Go binding" bash bindings/go/run-tests.sh
suite "C example" bash bindings/c/examples/test.sh
suite "Debian packages (build, lintian, install test)" make --no-print-directory deb deb-install-test
suite "ABI stability (abidiff)" make --no-print-directory abi-check
suite "benchmarks (smoke)" bash bench/run.sh --smoke

echo
[ ${#failures[@]} -gt 0 ] && echo "failed suites: ${failures[*]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
