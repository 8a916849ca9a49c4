#!/usr/bin/env bash
# Every test suite, one after the other; a failing suite does not stop the others.
# Each runner prints its own summary line; the last line sums up the suites.
set -uo pipefail
cd "$(dirname "$0")/.."
export VENV=${VENV:-/opt/flyteauth-venv}
export PYTHON=${PYTHON:-python3}
# Never the user's own kernel keyring (persistent or user, whatever the caller exported):
# only the kernel suite and the benchmarks use that tier, each in a session keyring of its
# own (keyctl session -).
case "${FLYTEAUTH_KERNEL_KEYRING:-}" in session) ;; *) export FLYTEAUTH_KERNEL_KEYRING=off ;; esac
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
suite "library under ASan+UBSan and TSan (C ABI tests)" bash Tests/sanitize/run.sh all --abi-only
suite "flyteauth tool" "$VENV/bin/python" -m pytest Tests/cli -q -p no:cacheprovider
[ -f bindings/python/run-tests.sh ] && suite "Python binding" bash bindings/python/run-tests.sh
[ -f Tests/wheel/run.sh ] && suite "Python wheel (fresh venv, no installed library)" bash Tests/wheel/run.sh
[ -f bindings/go/run-tests.sh ] && suite "Go binding" bash bindings/go/run-tests.sh
[ -f bindings/c/examples/test.sh ] && suite "C example" bash bindings/c/examples/test.sh
if [ -f debian/control ] && grep -q '^deb-install-test:' Makefile; then
    suite "Debian packages (build, lintian, install test)" make --no-print-directory deb deb-install-test
fi
grep -q '^abi-check:' Makefile && suite "ABI stability (abidiff)" make --no-print-directory abi-check
[ -f bench/run.sh ] && suite "benchmarks (smoke)" bash bench/run.sh --smoke

echo
[ ${#failures[@]} -gt 0 ] && echo "failed suites: ${failures[*]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
