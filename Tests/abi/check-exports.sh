#!/usr/bin/env bash
# The distributable library's contract with the system: only flyteauth_* exported (and
# versioned), SONAME libflyteauth.so.0, no RUNPATH, nothing from the Swift toolchain.
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
count=$(nm -D --defined-only "$lib" | grep -c ' flyteauth_' || true)
size=$(stat -c %s "$(readlink -f "$lib")")
[ $fail -eq 0 ] && echo "exports: OK ($count flyteauth_* functions, SONAME $soname, no RUNPATH, $((size / 1024)) KiB stripped)"
exit $fail
