#!/usr/bin/env bash
# Vets and tests the Go binding (go test -race) against libflyteauth: the installed
# one when pkg-config finds it, else the repository's build/stage (`make`).
# The tests start the e2e harness (Tests/e2e, python3) themselves; set
# FLYTEAUTH_GO_NO_E2E=1 to skip the identity-provider tests.
# Offline: GOPROXY=off, GOTOOLCHAIN=local; the core module uses the standard library
# only, the adapters the grpc-go and x/oauth2 of Debian's -dev packages.
set -euo pipefail
# The shared runner helpers: the kernel keyring stays off unless in a session of its own.
# shellcheck source=../../Tests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../Tests/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
stage=$root/build/stage

export GOPROXY=off GOTOOLCHAIN=local GOFLAGS=-mod=mod
export CGO_ENABLED=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! pkg-config --exists flyteauth 2>/dev/null; then
    if [ ! -e "$stage/lib/libflyteauth.so.0" ] || [ ! -e "$stage/include/flyteauth.h" ]; then
        echo "run-tests.sh: libflyteauth is neither installed nor staged in $stage (run make)" >&2
        exit 2
    fi
    export PKG_CONFIG_PATH=$stage/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
    export LD_LIBRARY_PATH=$stage/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    # Go's build cache keys the binding's package on its sources, not on pkg-config's -L:
    # a package cached from another copy of the stage (bench/run.sh's snapshot, since
    # removed) would link against a directory that is gone. Name this one too.
    export CGO_LDFLAGS="-L$stage/lib${CGO_LDFLAGS:+ $CGO_LDFLAGS}"
    echo "run-tests.sh: using the staged library in $stage"
fi
cd "$here"
command -v go >/dev/null || { echo "run-tests.sh: go not found (Go >= 1.21)" >&2; exit 2; }
go version

unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
    echo "run-tests.sh: not gofmt-formatted:" $unformatted >&2
    exit 1
fi
go vet ./...
go build ./...
log=$tmp/go-test.log
set +e
go test -race -count=1 -v ./... >"$log" 2>&1
rc=$?
# The adapters (nested modules flyteauthgrpc and flyteauthoauth2) against the real
# grpc-go and x/oauth2: Debian's golang-google-grpc-dev and golang-golang-x-oauth2-dev
# in GOPATH mode, since the module proxy is not reachable (scripts/install-deps.sh).
gocode=/usr/share/gocode
if [ -d "$gocode/src/google.golang.org/grpc" ] && [ -d "$gocode/src/golang.org/x/oauth2" ]; then
    gopath=$tmp/gopath
    mkdir -p "$gopath/src/github.com/flyteorg"
    ln -s "$root" "$gopath/src/github.com/flyteorg/libflyteauth"
    for adapter in flyteauthgrpc flyteauthoauth2; do
        echo "run-tests.sh: $adapter (GOPATH mode, $gocode)"
        (cd "$gopath/src/github.com/flyteorg/libflyteauth/bindings/go/$adapter" &&
            GO111MODULE=off GOPATH="$gopath:$gocode" GOFLAGS='' go vet . &&
            GO111MODULE=off GOPATH="$gopath:$gocode" GOFLAGS='' go test -race -count=1 -v .) >>"$log" 2>&1 || rc=1
    done
else
    echo "run-tests.sh: grpc-go or x/oauth2 missing in $gocode:" \
        "apt-get install golang-google-grpc-dev golang-golang-x-oauth2-dev" >&2
    rc=1
fi
set -e
# Failures and skips in full, then go test's summary.
grep -E '^\s*(--- (FAIL|SKIP)|panic:|\S+_test\.go:[0-9]+:)' "$log" || true
grep -E '^(ok|FAIL|---|PASS|\?)\s' "$log" | grep -vE '^--- (PASS|SKIP)' || true
passed=$(grep -c -- '^--- PASS' "$log" || true)
skipped=$(grep -c -- '^--- SKIP' "$log" || true)
failed=$(grep -c -- '^--- FAIL' "$log" || true)
echo "go: $passed passed, $failed failed, $skipped skipped"
if [ $rc -ne 0 ]; then
    echo "run-tests.sh: go test failed; full log:" >&2
    tail -n 60 "$log" >&2
fi
exit $rc
