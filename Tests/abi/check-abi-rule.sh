#!/usr/bin/env bash
# `make abi-check` fails when the age rule of flyteauth.h ("Structs that grow") is
# broken: each case edits a copy of the header and runs packaging/abi-check.sh on it
# against the committed baseline. Then Tests/abi/check-exports.sh fails when header,
# exports.map and library disagree. Needs the staged build (make) and abigail-tools.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

# case NAME EXPECT(pass|fail) EXPECTED-TEXT PYTHON-EDIT
case_() {
    local name=$1 expect=$2 text=$3 edit=$4 rc=0
    rm -rf "$tmp/include" "$tmp/work"; mkdir -p "$tmp/include"
    python3 - "$root/include/flyteauth.h" "$tmp/include/flyteauth.h" "$edit" <<'PY'
import sys
s = open(sys.argv[1]).read()
exec(sys.argv[3])
open(sys.argv[2], "w").write(s)
PY
    FLYTEAUTH_ABI_HEADERS=$tmp/include FLYTEAUTH_ABI_WORK=$tmp/work bash "$root/packaging/abi-check.sh" check \
        > "$tmp/out" 2>&1 || rc=$?
    local got=pass; [ $rc -eq 0 ] || got=fail
    if [ "$got" = "$expect" ] && grep -q -- "$text" "$tmp/out"; then
        passed=$((passed + 1)); echo "ok   $name"
    else
        failed=$((failed + 1)); echo "FAIL $name: expected $expect with '$text', got $got:"; sed 's/^/     /' "$tmp/out"
    fi
}

MD_END='    int64_t reuse_until;
} flyteauth_metadata;'
add_member="s = s.replace('''$MD_END''', '''    int64_t reuse_until;
    int64_t added_later;
} flyteauth_metadata;''')"
bump="s = s.replace('#define FLYTEAUTH_METADATA_AGE FLYTEAUTH_METADATA_AGE_0', '#define FLYTEAUTH_METADATA_AGE_1 1\n#define FLYTEAUTH_METADATA_AGE FLYTEAUTH_METADATA_AGE_1')"

case_ "the header as committed passes" pass "abi: OK" "pass"
case_ "a member appended without an age bump fails" fail "raise it by one" "$add_member"
case_ "a member appended with the age bumped passes" pass "appended" "$add_member
$bump"
case_ "an age bumped without a member fails" fail "without a new member" "$bump"
case_ "an age bumped without its _AGE_n macro fails" fail "lacks '#define FLYTEAUTH_METADATA_AGE_1 1'" "$add_member
s = s.replace('#define FLYTEAUTH_METADATA_AGE FLYTEAUTH_METADATA_AGE_0', '#define FLYTEAUTH_METADATA_AGE 1')"
case_ "members that change order fail" fail "members never move" "s = s.replace('''    size_t count;
    /** The headers: the authorization header first. */
    const flyteauth_header *headers;''', '''    const flyteauth_header *headers;
    size_t count;''')"
case_ "a member inserted before the end fails" fail "members never move" "s = s.replace('''    int64_t expires_at;
    /** Until then''', '''    int64_t inserted;
    int64_t expires_at;
    /** Until then''')"
case_ "a growable struct without its age macro fails" fail "age macro" "s = s.replace('#define FLYTEAUTH_ERROR_AGE FLYTEAUTH_ERROR_AGE_0', '')"
case_ "a frozen struct (flyteauth_header) that grows fails" fail "incompatible change" "s = s.replace('''    const char *value;
} flyteauth_header;''', '''    const char *value;
    int extra;
} flyteauth_header;''')"

# The export list: header, exports.map and the library name the same functions.
lib=$root/build/stage/lib/libflyteauth.so.0
exports_case() {
    local name=$1 text=$2 map_edit=$3 header_edit=$4 rc=0
    sed -e "$map_edit" "$root/Sources/FlyteAuthABI/exports.map" > "$tmp/exports.map"
    sed -e "$header_edit" "$root/include/flyteauth.h" > "$tmp/flyteauth.h"
    FLYTEAUTH_EXPORTS_MAP=$tmp/exports.map FLYTEAUTH_HEADER=$tmp/flyteauth.h bash "$root/Tests/abi/check-exports.sh" "$lib" \
        > "$tmp/out" 2>&1 || rc=$?
    if [ $rc -ne 0 ] && grep -q -- "$text" "$tmp/out"; then
        passed=$((passed + 1)); echo "ok   $name"
    else
        failed=$((failed + 1)); echo "FAIL $name: expected a failure with '$text' (rc $rc):"; sed 's/^/     /' "$tmp/out"
    fi
}
exports_case "a wildcard in exports.map fails" "by wildcard" 's/^\( *global:\)/\1 flyteauth_*;/' ''
exports_case "a function missing from exports.map fails" "in the header but not the map: flyteauth_client_cancel" \
    '/flyteauth_client_cancel;/d' ''
exports_case "a function declared but not exported fails" "in the header but not the library: flyteauth_client_new_thing" \
    '' 's/^flyteauth_status flyteauth_client_cancel(flyteauth_client \*client);/&\nflyteauth_status flyteauth_client_new_thing(void);/'

echo "abi rule: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
