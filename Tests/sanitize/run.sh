#!/usr/bin/env bash
# The library itself under sanitizers (docs/build-notes.md, "Sanitizer builds"):
# libflyteauth.so built with ASan+UBSan (.build-asan) and with TSan (.build-tsan, dynamic
# Swift runtime), then the C ABI tests (Tests/abi/abi_test.c: 16 threads across expiries,
# background refresh, cancel, callbacks, free, fork) linked against each instrumented
# library with the toolchain's clang and run against a private glewlwyd, and the Swift
# unit tests (`swift test --sanitize`).
#
#   Tests/sanitize/run.sh [address|thread|all] [--abi-only]
#     address     ASan on Swift and C, UBSan on the C targets (default)
#     thread      TSan
#     all         both (make test-sanitize)
#     --abi-only  skip `swift test` (the unit tests cover pure Core code)
# Each step prints its time, so the cost of each part is visible in CI logs.
# make test runs `all --abi-only`; make test-sanitize runs `all`.
# (-use-ld=lld: gold prints a warning for each of ASan's local symbols.)
set -euo pipefail
cd "$(dirname "$0")/../.."
# The shared runner helpers: the kernel keyring stays off unless in a session of its own.
# shellcheck source=Tests/lib.sh
. Tests/lib.sh
ROOT=$PWD
export PATH=$PATH:/opt/swift/usr/bin
SWIFT=${SWIFT:-swift}
CLANG=${CLANG:-/opt/swift/usr/bin/clang}
RUNTIME=/opt/swift/usr/lib/swift/linux
PY=${PYTHON:-python3}
mode=address abi_only=0
for a in "$@"; do
    case $a in
        address|thread) mode=$a ;;
        all) mode="address thread" ;;
        --abi-only) abi_only=1 ;;
        *) echo "usage: $0 [address|thread|all] [--abi-only]" >&2; exit 2 ;;
    esac
done
OUT=$ROOT/build/sanitize
mkdir -p "$OUT"

step() {  # step NAME COMMAND...: runs it, prints its time, stops the script on failure
    local name=$1; shift
    local start=$SECONDS
    echo "sanitize: $name ..."
    if "$@"; then echo "sanitize: $name: ok ($((SECONDS - start)) s)"
    else echo "sanitize: $name: FAILED ($((SECONDS - start)) s)"; exit 1; fi
}

# Packages resolved once: a scratch path seeded from .build does not re-resolve.
seed_scratch() {
    local scratch=$1
    mkdir -p "$scratch"
    for x in checkouts repositories workspace-state.json; do
        [ -e "$scratch/$x" ] || [ ! -e .build/$x ] || cp -a ".build/$x" "$scratch/"
    done
}

state=""
harness_up() {
    [ -n "$state" ] && return 0
    state=$(mktemp -d)/state.json
    (cd Tests/e2e && "$PY" -m harness up --state "$state" --access-token-duration 4 >/dev/null)
}
cleanup() {
    if [ -n "$state" ]; then (cd Tests/e2e && "$PY" -m harness down --state "$state" >/dev/null 2>&1) || true; rm -rf "$(dirname "$state")"; fi
}
trap cleanup EXIT

for m in $mode; do
    case $m in
        address)
            scratch=.build-asan
            swift_flags=(--sanitize address -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=all -Xswiftc -use-ld=lld)
            # shellcheck disable=SC2054  # one compiler flag with a comma
            cflags=(-fsanitize=address,undefined -fno-sanitize-recover=all)
            # The Swift runtime allocates at load and keeps it: not a leak of ours.
            run_env=(ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:detect_stack_use_after_return=0
                     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1) ;;
        thread)
            scratch=.build-tsan
            swift_flags=(--sanitize thread -Xswiftc -use-ld=lld)
            cflags=(-fsanitize=thread)
            run_env=(TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:exitcode=66) ;;
    esac
    seed_scratch "$scratch"
    lib=$ROOT/$scratch/debug
    step "$m: build libflyteauth.so" \
        "$SWIFT" build -c debug -q --scratch-path "$scratch" --product flyteauth "${swift_flags[@]}"
    # The toolchain's clang: its sanitizer runtimes are the ones the Swift code expects.
    # The TSan runtime intercepts libdispatch, so that is linked explicitly.
    # shellcheck disable=SC2046  # pkg-config's flags are split on purpose
    step "$m: build abi_test" \
        "$CLANG" -std=c11 -Wall -Wextra -Werror -g -O1 -fno-omit-frame-pointer -fuse-ld=lld "${cflags[@]}" -Iinclude \
        Tests/abi/abi_test.c -o "$OUT/abi_test_$m" -L"$lib" -lflyteauth -L"$RUNTIME" -ldispatch -lBlocksRuntime \
        -Wl,-rpath,"$lib" -Wl,-rpath,"$RUNTIME" $(pkg-config --cflags --libs libcurl) -lpthread
    step "$m: identity provider up" harness_up
    step "$m: C ABI tests" env "${run_env[@]}" FLYTEAUTH_TEST_STATE="$state" "$OUT/abi_test_$m"
    if [ $abi_only = 0 ]; then
        step "$m: swift test" env "${run_env[@]}" \
            "$SWIFT" test -q --scratch-path "$scratch" "${swift_flags[@]}"
    fi
done
echo "sanitize: $mode: ok"
