#!/usr/bin/env bash
# Compiles include/flyteauth.h together with the C declarations Swift generates for the
# @c functions: a parameter or return type that differs is a redeclaration error.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT; [ -n "${KEEP:-}" ] && trap - EXIT
# shellcheck disable=SC2046  # pkg-config's flags are split on purpose
swiftc -parse-as-library -emit-clang-header-path "$out/generated.h" -typecheck -module-name FlyteAuthABI \
    -I include -I Sources/CSystem -I Sources/CCurl/include -I Sources/CSecret/include -I Sources/CCrypto/include -I Sources/CMicroHTTPD/include -I Sources/CYAML/include \
    -I .build/debug/Modules -I .build-dist/release/Modules \
    $(pkg-config --cflags-only-I libmicrohttpd | sed 's/-I/-Xcc -I/g') \
    Sources/FlyteAuthABI/*.swift 2>"$out/err" || { cat "$out/err"; exit 1; }
# Swift spells the opaque handle (OpaquePointer) as void *: map that one case back.
sed -i -e 's/void \* _Nullable client/flyteauth_client * _Nullable client/g' \
       -e 's/void \* _Nullable \* _Nullable out_/flyteauth_client * _Nullable * _Nullable out_/g' "$out/generated.h"
# Compile both together: any other difference is a conflicting-types error.
cat > "$out/both.c" <<C
#include "flyteauth.h"
#include "generated.h"
C
clang -std=c11 -Wall -Werror -fsyntax-only -I include -I "$out" "$out/both.c"
n=$(grep -c 'flyteauth_[a-z_]*(' "$out/generated.h" || true)
echo "header drift: OK ($n generated declarations agree with include/flyteauth.h)"
