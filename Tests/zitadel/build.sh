#!/usr/bin/env bash
# Builds the token-exchange test server (op/main.go) from Debian's zitadel/oidc source in
# GOPATH mode, in a scratch directory: the example's storage package is copied there and
# our storage-extra/*.go added to the copy. Nothing fetched, nothing committed.
#
#   Tests/zitadel/build.sh OUT_DIR     -> OUT_DIR/zitadel-op
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:?usage: build.sh OUT_DIR}
GOCODE=/usr/share/gocode
EXAMPLE=$GOCODE/src/github.com/zitadel/oidc/example/server
[ -d "$EXAMPLE/storage" ] || { echo "build.sh: $EXAMPLE missing: install golang-github-zitadel-oidc-dev (scripts/install-deps.sh)" >&2; exit 2; }
mkdir -p "$OUT"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
pkg=$scratch/src/flyteauth-test/zitadelop
mkdir -p "$pkg/storage"
for f in "$EXAMPLE"/storage/*.go; do
    case "$f" in *_test.go) ;; *) cp "$f" "$pkg/storage/" ;; esac
done
cp "$HERE"/storage-extra/*.go "$pkg/storage/"
cp "$HERE/op/main.go" "$pkg/"
# Debian lays modules out without their major-version suffix (.../oidc, not .../oidc/v3):
# link every module that declares one under its full import path in the scratch GOPATH.
while IFS= read -r mod; do
    dir=$(dirname "$mod")
    path=$(sed -n 's/^module[[:space:]]\{1,\}\([^[:space:]]*\/v[0-9][0-9]*\)[[:space:]]*$/\1/p' "$mod" | head -1)
    [ -n "$path" ] && [ "${dir#$GOCODE/src/}" != "$path" ] || continue
    mkdir -p "$scratch/src/$(dirname "$path")"
    [ -e "$scratch/src/$path" ] || ln -s "$dir" "$scratch/src/$path"
done < <(find -L "$GOCODE/src" -maxdepth 5 -name go.mod 2>/dev/null)
cd "$pkg"
GO111MODULE=off GOPATH="$scratch:$GOCODE" GOPROXY=off GOFLAGS= GOTOOLCHAIN=local GOCACHE="${GOCACHE:-$OUT/.gocache}" \
    go build -p 1 -o "$OUT/zitadel-op" .
