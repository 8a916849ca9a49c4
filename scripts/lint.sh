#!/usr/bin/env bash
# make lint: every linter of the project, each on everything it covers; fails if any
# finds something. CONTRIBUTING.md says what each checks.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export PATH=$PATH:/opt/swift/usr/bin
VENV=${VENV:-/opt/flyteauth-venv}
SWIFT=${SWIFT:-swift}
CC=${CC:-cc}
CXX=${CXX:-c++}
failed=()

check() {
    local name=$1; shift
    if "$@"; then echo "lint: $name: ok"; else echo "lint: $name: FAILED" >&2; failed+=("$name"); fi
}

swift_sources() { git ls-files '*.swift'; }
python_sources() { git ls-files '*.py'; }
shell_sources() {
    { git ls-files '*.sh'; git ls-files | while read -r f; do
        [ -f "$f" ] && head -n1 "$f" | grep -qE '^#!.*\b(ba)?sh\b' && echo "$f"; done; } | sort -u
}

header() {
    local tmp rc=0
    tmp=$(mktemp -d)
    printf '#include "flyteauth.h"\nint main(void) { return 0; }\n' > "$tmp/h.c"
    "$CC" -std=c99 -Wall -Wextra -Wpedantic -Werror -Iinclude -fsyntax-only "$tmp/h.c" || rc=1
    "$CXX" -std=c++11 -Wall -Wextra -Wpedantic -Werror -Iinclude -fsyntax-only -x c++ "$tmp/h.c" || rc=1
    rm -rf "$tmp"
    return $rc
}

go_lint() {
    local unformatted
    unformatted=$(cd bindings/go && gofmt -l .) || return 1
    [ -z "$unformatted" ] || { echo "not gofmt-formatted: $unformatted" >&2; return 1; }
    # go vet of the core module; the adapters are vetted by bindings/go/run-tests.sh
    # (they need the GOPATH of Debian's grpc-go and x/oauth2).
    (cd bindings/go && PKG_CONFIG_PATH="$PWD/../../build/stage/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" \
        GOPROXY=off GOTOOLCHAIN=local GOFLAGS=-mod=mod go vet ./flyteauth/...)
}

# shellcheck disable=SC2046  # file lists, one name a word
{
    check "swift-format" "$SWIFT" format lint --strict --configuration .swift-format $(swift_sources)
    check "ruff" "$VENV/bin/ruff" check --no-cache --quiet $(python_sources)
    check "mypy --strict (bindings/python/src)" "$VENV/bin/mypy" --config-file bindings/python/pyproject.toml \
        bindings/python/src/flyteauth
    check "shellcheck" shellcheck -S warning -x $(shell_sources)
    check "gofmt, go vet" go_lint
    check "header as C99 and C++ (-Wall -Wextra -Wpedantic -Werror)" header
    check "generated files (scripts/generate.py --check)" python3 scripts/generate.py --check
}

if [ ${#failed[@]} -gt 0 ]; then echo "lint: failed: ${failed[*]}" >&2; exit 1; fi
echo "lint: all clean"
