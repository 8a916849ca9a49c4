#!/usr/bin/env bash
# Builds protected_call against libflyteauth (installed, or this checkout's
# build/stage), starts the e2e harness (glewlwyd + Flyte front) and a tiny
# protected server on 127.0.0.1, and checks that protected_call gets a token,
# refreshes once and retries once on 401, does not loop, and never prints a token.
# Everything it starts is stopped by pid at the end.
set -euo pipefail
# The shared runner helpers: the kernel keyring stays off unless in a session of its own.
# shellcheck source=../../../Tests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../../Tests/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
stage=$root/build/stage
PY=${PYTHON:-python3}

tmp=$(mktemp -d)
server_pid=
harness_state=$tmp/harness-state.json
harness_started=
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ -n "$harness_started" ]; then
        (cd "$root/Tests/e2e" && "$PY" -m harness down --state "$harness_state" >/dev/null 2>&1) || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build -----------------------------------------------------------------
if ! pkg-config --exists flyteauth 2>/dev/null; then
    if [ ! -e "$stage/lib/libflyteauth.so.0" ] || [ ! -e "$stage/include/flyteauth.h" ]; then
        echo "test.sh: libflyteauth is neither installed nor staged in $stage (run make)" >&2
        exit 2
    fi
    export PKG_CONFIG_PATH=$stage/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
    export LD_LIBRARY_PATH=$stage/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
make --no-print-directory -C "$here" BIN="$tmp/protected_call" >/dev/null
bin=$tmp/protected_call

# --- servers ---------------------------------------------------------------
(cd "$root/Tests/e2e" && "$PY" -m harness up --state "$harness_state" --access-token-duration 60 >/dev/null)
harness_started=1
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

"$PY" "$here/protected_server.py" --port-file "$tmp/port" --tokens-file "$tmp/tokens" &
server_pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
[ -s "$tmp/port" ] || { echo "test.sh: protected server did not start" >&2; exit 1; }
server=http://127.0.0.1:$(cat "$tmp/port")

# Settings in a 0600 file (the client secret stays out of argv).
"$PY" - "$harness_state" "$tmp/settings.json" "$tmp/cache" <<'EOF'
import json, os, sys
st = json.load(open(sys.argv[1]))
settings = {"endpoint": st["endpoint"], "insecure": True, "auth_type": "ClientSecret",
            "client_id": st["service_client_id"], "client_secret": st["service_client_secret"],
            "scopes": ["all"], "keyring": False, "cache_dir": sys.argv[3]}
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    json.dump(settings, f)
EOF
endpoint=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint"])' "$harness_state")

# --- helpers ---------------------------------------------------------------
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

control() { curl -sS --max-time 5 -X POST "$server/_control/$1" >/dev/null; }
server_stat() { curl -sS --max-time 5 "$server/_control/stats" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
token_total() { curl -sS --max-time 5 "$endpoint/_test/counts" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["token_total"])'; }

# run NAME ARGS...: runs protected_call, keeps stdout+stderr in $tmp/NAME.out and rc in $rc.
run() {
    local name=$1; shift
    set +e
    "$bin" "$@" >"$tmp/$name.out" 2>&1
    rc=$?
    set -e
}

# No token the server saw and no secret may appear in the program's output.
no_leak() {
    local out=$1
    ! { [ -s "$tmp/tokens" ] && grep -qF -f "$tmp/tokens" "$out"; } &&
        ! grep -qF "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["service_client_secret"])' "$harness_state")" "$out"
}

# --- 1. stale token: one refresh, one retry ---------------------------------
control reset
control "mode?m=reject-first"
before=$(token_total)
body='{"name":"flytesnacks"}'
run stale -X POST -d "$body" "$tmp/settings.json" "$server/api/v1/projects"
check "stale token: exit 0 after one retry (rc $rc)" [ "$rc" -eq 0 ]
check "stale token: output reports HTTP 200 and the retry" grep -q "HTTP 200, .* bytes (retried after 401)" "$tmp/stale.out"
check "stale token: server saw 2 requests, 1 rejected" [ "$(server_stat requests)/$(server_stat rejected)" = "2/1" ]
check "stale token: the retry carried a different token" [ "$(server_stat distinct_tokens)" = 2 ]
check "stale token: the body was sent both times" [ "$(server_stat bodies)" = "[${#body}, ${#body}]" ]
check "stale token: 2 token requests (initial + one refresh)" [ $(( $(token_total) - before )) -eq 2 ]
check "stale token: no token or secret in the output" no_leak "$tmp/stale.out"

# --- 2. fresh token: no retry ------------------------------------------------
control reset
control "mode?m=accept"
before=$(token_total)
run fresh "$tmp/settings.json" "$server/me"
check "fresh token: exit 0 (rc $rc)" [ "$rc" -eq 0 ]
check "fresh token: one request, no retry" [ "$(server_stat requests)" = 1 ]
check "fresh token: output has no retry" grep -qx "HTTP 200, [0-9]* bytes" "$tmp/fresh.out"
check "fresh token: one token request" [ $(( $(token_total) - before )) -eq 1 ]

# --- 3. always 401: one retry, no loop, non-zero exit ------------------------
control reset
control "mode?m=always"
before=$(token_total)
run always "$tmp/settings.json" "$server/me"
check "always 401: non-zero exit (rc $rc)" [ "$rc" -ne 0 ]
check "always 401: exactly 2 requests (no loop)" [ "$(server_stat requests)" = 2 ]
check "always 401: reports HTTP 401" grep -q "HTTP 401" "$tmp/always.out"
check "always 401: 2 token requests" [ $(( $(token_total) - before )) -eq 2 ]
check "always 401: no token or secret in the output" no_leak "$tmp/always.out"

# --- 4. inline settings JSON, external command ------------------------------
control reset
control "mode?m=reject-first"
cat >"$tmp/token-cmd.sh" <<EOF
#!/bin/sh
echo run >> "$tmp/cmd-runs"
echo "cmd-token-\$(date +%s%N)"
EOF
chmod +x "$tmp/token-cmd.sh"
run inline "{\"auth_type\":\"ExternalCommand\",\"command\":[\"$tmp/token-cmd.sh\"],\"authorization_header\":\"authorization\"}" "$server/x"
check "inline JSON + command: exit 0 after a retry (rc $rc)" [ "$rc" -eq 0 ]
check "inline JSON + command: command ran twice (token + one refresh)" [ "$(wc -l <"$tmp/cmd-runs")" -eq 2 ]
check "inline JSON + command: no token in the output" no_leak "$tmp/inline.out"

# --- 5. failures -------------------------------------------------------------
run badsettings '{"bogus": true}' "$server/x"
check "bad settings: exit 1 naming the key (rc $rc)" eval '[ "$rc" -eq 1 ] && grep -q "bogus" "$tmp/badsettings.out"'
run usage "$tmp/settings.json"
check "usage error: exit 2 (rc $rc)" [ "$rc" -eq 2 ]
run nofile "$tmp/does-not-exist.json" "$server/x"
check "missing settings file: exit 1 (rc $rc)" [ "$rc" -eq 1 ]
run idpdown "{\"endpoint\":\"http://127.0.0.1:9\",\"auth_type\":\"ClientSecret\",\"client_id\":\"x\",\"client_secret\":\"y\",\"keyring\":false,\"cache_dir\":\"$tmp/cache\",\"connect_timeout_seconds\":2}" "$server/x"
check "IdP down: exit 1 with a network error (rc $rc)" eval '[ "$rc" -eq 1 ] && grep -q "network error" "$tmp/idpdown.out"'
run passthrough '{"auth_type":"passthrough"}' "$server/x"
check "no token: login required (rc $rc)" eval '[ "$rc" -eq 1 ] && grep -q "login required" "$tmp/passthrough.out"'

# --- 6. the README's C quick start, as written -------------------------------
# The first ```c block of README.md, compiled warning-free and run with a
# ~/.flyte/config.yaml: a header when the configuration works, a non-zero exit
# with the error when it does not.
"$PY" - "$root/README.md" "$tmp/quickstart.c" <<'EOF'
import re, sys
blocks = re.findall(r"^```c\n(.*?)^```$", open(sys.argv[1]).read(), re.S | re.M)
assert blocks, "no ```c block in README.md"
open(sys.argv[2], "w").write(blocks[0])
EOF
set +e
# shellcheck disable=SC2046  # pkg-config's flags are split on purpose
cc -Wall -Wextra -Werror -o "$tmp/quickstart" "$tmp/quickstart.c" $(pkg-config --cflags --libs flyteauth) >"$tmp/quickstart-cc.out" 2>&1
cc_rc=$?
set -e
check "README quick start: compiles with -Wall -Wextra -Werror (rc $cc_rc)" [ "$cc_rc" -eq 0 ]
if [ "$cc_rc" -ne 0 ]; then cat "$tmp/quickstart-cc.out" >&2; fi
"$PY" - "$harness_state" "$tmp/qs-home/.flyte" "$tmp/qs-down-home/.flyte" <<'EOF'
import json, os, sys
st = json.load(open(sys.argv[1]))
for home, endpoint in ((sys.argv[2], st["endpoint"].split("://", 1)[1]), (sys.argv[3], "127.0.0.1:9")):
    os.makedirs(home)
    secret = os.path.join(home, "secret")
    fd = os.open(secret, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, st["service_client_secret"].encode())
    os.close(fd)
    with open(os.path.join(home, "config.yaml"), "w") as f:
        f.write("admin:\n  endpoint: dns:///%s\n  insecure: true\n  authType: ClientSecret\n"
                "  clientId: %s\n  clientSecretLocation: %s\n  scopes: [all]\n"
                % (endpoint, st["service_client_id"], secret))
EOF
quickstart() {
    local name=$1 home=$2
    set +e
    env -u FLYTECTL_CONFIG -u DBUS_SESSION_BUS_ADDRESS HOME="$home" XDG_CACHE_HOME="$home/.cache" \
        "$tmp/quickstart" >"$tmp/$name.out" 2>"$tmp/$name.err"
    rc=$?
    set -e
}
if [ "$cc_rc" -eq 0 ]; then
    quickstart qs-ok "$tmp/qs-home"
    check "README quick start: exit 0 with a working configuration (rc $rc)" [ "$rc" -eq 0 ]
    check "README quick start: prints the header key and the value's length" \
        grep -qE '^flyte-authorization: <[0-9]+ characters>$' "$tmp/qs-ok.out"
    check "README quick start: no token or secret in the output" no_leak "$tmp/qs-ok.out"
    quickstart qs-down "$tmp/qs-down-home"
    check "README quick start: non-zero exit when it printed an error (rc $rc)" [ "$rc" -ne 0 ]
    check "README quick start: the error names the network failure" grep -qi "network" "$tmp/qs-down.err"
fi

echo "c example: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
