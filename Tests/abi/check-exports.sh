#!/usr/bin/env bash
# The distributable library's contract with the system: only flyteauth_* exported (and
# versioned), exactly the functions include/flyteauth.h declares and
# Sources/FlyteAuthABI/exports.map lists by name, SONAME libflyteauth.so.0, no RUNPATH,
# nothing from the Swift toolchain.
set -euo pipefail
lib=${1:?usage: check-exports.sh path/to/libflyteauth.so.0}
fail=0
others=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^flyteauth_' | grep -v '^FLYTEAUTH_' || true)
if [ -n "$others" ]; then echo "FAIL: exports other than flyteauth_*:"; echo "$others" | head; fail=1; fi
unversioned=$(objdump -T "$lib" | awk '/ flyteauth_/ && !/FLYTEAUTH_0/' || true)
if [ -n "$unversioned" ]; then echo "FAIL: unversioned symbols:"; echo "$unversioned"; fail=1; fi
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = "libflyteauth.so.0" ] || { echo "FAIL: SONAME is '$soname'"; fail=1; }
if readelf -d "$lib" | grep -Eq 'RUNPATH|RPATH'; then echo "FAIL: has RUNPATH/RPATH"; fail=1; fi
if ldd "$lib" | grep -Eiq 'swift|/opt/'; then echo "FAIL: needs the Swift toolchain:"; ldd "$lib" | grep -Ei 'swift|/opt/'; fail=1; fi
if ldd "$lib" | grep -q 'not found'; then echo "FAIL: unresolved libraries:"; ldd "$lib" | grep 'not found'; fail=1; fi
# The three lists of functions agree: declared in the header, named in exports.map,
# exported by the library. A function missing from one of them is named.
root=$(cd "$(dirname "$0")/../.." && pwd)
header=${FLYTEAUTH_HEADER:-$root/include/flyteauth.h}
map=${FLYTEAUTH_EXPORTS_MAP:-$root/Sources/FlyteAuthABI/exports.map}
lists=$(mktemp -d); trap 'rm -rf "$lists"' EXIT
# Comments gone (cc -E), every `flyteauth_name(` is a declaration (callback typedefs are `(*name)(`).
${CC:-cc} -E -P -x c "$header" | grep -oE '\bflyteauth_[a-z0-9_]+[[:space:]]*\(' | sed 's/[[:space:]]*($//' | sort -u > "$lists/header"
${CC:-cc} -E -P -x c "$map" > "$lists/map.txt"   # the version script without its comments
grep -vE '^[[:space:]]*local:' "$lists/map.txt" | grep -q '\*' \
    && { echo "FAIL: $map exports by wildcard; list every function by name"; fail=1; }
grep -oE '(^|[[:space:]])flyteauth_[a-z0-9_]+;' "$lists/map.txt" | tr -d ' \t;' | sort -u > "$lists/map"
nm -D --defined-only "$lib" | awk '$2 == "T" && $3 ~ /^flyteauth_/ { sub(/@.*/, "", $3); print $3 }' | sort -u > "$lists/library"
for pair in "header map" "map header" "header library" "library header" "map library" "library map"; do
    set -- $pair
    missing=$(comm -23 "$lists/$1" "$lists/$2")
    [ -z "$missing" ] || { echo "FAIL: in the $1 but not the $2: $(echo $missing)"; fail=1; }
done
[ -s "$lists/header" ] || { echo "FAIL: found no function declarations in $header"; fail=1; }

count=$(nm -D --defined-only "$lib" | grep -c ' flyteauth_' || true)
size=$(stat -c %s "$(readlink -f "$lib")")
[ $fail -eq 0 ] && echo "exports: OK ($count flyteauth_* functions, the same in flyteauth.h, exports.map and the library; SONAME $soname, no RUNPATH, $((size / 1024)) KiB stripped)"
exit $fail
