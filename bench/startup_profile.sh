#!/usr/bin/env bash
# Where `flyteauth token` and the library's first header spend their start-up, measured
# with deterministic counters rather than wall time (a shared machine makes wall time noisy):
# instructions (callgrind, or `perf stat` where the kernel allows it), system calls, page
# faults, shared objects loaded, and resident memory (bench/footprint.c). Not part of
# `make bench`: a tool for the one changing start-up code or the link order.
#
#   bash bench/startup_profile.sh                 the summary (about a minute)
#   bash bench/startup_profile.sh --callgrind DIR also callgrind profiles of the tool and
#                                                 the footprint host, in DIR
#   bash bench/startup_profile.sh --shell         a shell in the prepared session (the token
#                                                 in the kernel tier; $SETTINGS, $TOOL, $LIB set)
#   bash bench/startup_profile.sh --exec 'CMD'    CMD (bash) in that session instead of the summary
#
# Needs the staged build (make stage), the venv (scripts/install-deps.sh), glewlwyd,
# gnome-keyring, keyctl; valgrind and hyperfine are used when present. One private
# glewlwyd stack on 127.0.0.1 (stopped by pid when the script ends), one private Secret
# Service and one anonymous session keyring: nothing of the user's own is read or written.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
VENV=${VENV:-/opt/flyteauth-venv}
PY=$VENV/bin/python
STAGE=${FLYTEAUTH_STAGE:-$root/build/stage}
callgrind=
shell=0
exec_cmd=
while [ $# -gt 0 ]; do
    case "$1" in
        --callgrind) callgrind=${2:?--callgrind needs a directory}; shift ;;
        --shell) shell=1 ;;
        --exec) exec_cmd=${2:?--exec needs a command}; shift ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "startup_profile.sh: unknown argument $1" >&2; exit 64 ;;
    esac
    shift
done
for f in "$STAGE/lib/libflyteauth.so.0" "$STAGE/bin/flyteauth"; do
    [ -e "$f" ] || { echo "startup_profile.sh: $f is missing: make stage first" >&2; exit 2; }
done
[ -z "$callgrind" ] || { mkdir -p "$callgrind"; callgrind=$(cd "$callgrind" && pwd); }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/flyteauth-startup.XXXXXX")
chmod 700 "$tmp"
state=$tmp/state.json
cleanup() {
    [ -f "$state" ] && (cd "$root/Tests/e2e" && PYTHONPATH=. "$PY" -m harness down --state "$state" >/dev/null 2>&1) || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cc -std=gnu11 -O2 -Wall -Wextra -o "$tmp/footprint" "$here/footprint.c" -I"$STAGE/include" -ldl
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$root/Tests/e2e" && PYTHONPATH=. "$PY" -m harness up --state "$state" --access-token-duration 3600 \
    --redirect-port "$port" --max-seconds 900 >/dev/null)
endpoint=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["endpoint"])' "$state")

export TOOL=$STAGE/bin/flyteauth LIB=$STAGE/lib/libflyteauth.so.0
# The staged binaries carry no symbols; the build tree's do (valgrind 3.19 cannot read
# their DWARF 5, hence --strip-debug copies), and callgrind names the functions with them.
if [ -n "$callgrind" ] && [ -f "$root/.build-dist/release/flyteauth-cli" ]; then
    strip --strip-debug -o "$tmp/flyteauth" "$root/.build-dist/release/flyteauth-cli"
    strip --strip-debug -o "$tmp/libflyteauth.so.0" "$root/.build-dist/release/libflyteauth.so"
    TOOL=$tmp/flyteauth LIB=$tmp/libflyteauth.so.0
fi
export FOOTPRINT=$tmp/footprint
export SETTINGS="{\"endpoint\": \"$endpoint\", \"insecure\": true, \"auth_type\": \"Pkce\", \"redirect_uri\": \"http://localhost:$port/callback\", \"interactive\": false}"
export SETTINGS_LOGIN=${SETTINGS/\"interactive\": false/\"interactive\": true}
export SETTINGS_SS=${SETTINGS/\}/, \"kernel_keyring\": \"off\"\}}
# Client credentials, one token request per process (the secret from the environment).
export SETTINGS_CC BENCH_CLIENT_SECRET
SETTINGS_CC=$("$PY" -c 'import json, sys; s = json.load(open(sys.argv[1])); print(json.dumps({"endpoint": s["endpoint"], "insecure": True, "auth_type": "ClientSecret", "client_id": s["service_client_id"], "client_secret_env_var": "BENCH_CLIENT_SECRET", "keyring": False, "kernel_keyring": "off"}))' "$state")
BENCH_CLIENT_SECRET=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["service_client_secret"])' "$state")
export TMPDIR_PROFILE=$tmp FLYTEAUTH_KERNEL_KEYRING=session FLYTEAUTH_LIBRARY=$LIB PY ROOT=$root CALLGRIND=$callgrind SHELL_MODE=$shell EXEC_CMD=$exec_cmd
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY DISPLAY WAYLAND_DISPLAY BROWSER

keyctl session - "$root/Tests/e2e/keyring-session.sh" bash -c '
set -euo pipefail
(cd "$ROOT/Tests/e2e" && PYTHONPATH=. DRIVER_ALLOW_BROWSER=1 "$PY" cache_driver.py "$SETTINGS_LOGIN" login >/dev/null)
"$TOOL" token --header --settings "$SETTINGS" >/dev/null  # the discovery cache and the kernel key exist
if [ "$SHELL_MODE" = 1 ]; then
    echo "startup_profile.sh: a shell with the token in the kernel tier; exit to stop" >&2
    exec bash -i </dev/tty
fi
[ -z "$EXEC_CMD" ] || exec bash -c "$EXEC_CMD"
section() { printf "\n== %s\n" "$1"; }
section "instructions (callgrind: whole process, dynamic loader included)"
# The kernel key is served alone for CacheCoherence.bound (2 s) after a process confirmed it
# against the Secret Service; after that the next process confirms it (a D-Bus read). Without
# a session bus nothing can confirm, and the kernel tier serves alone (the bench'"'"'s headless row).
# Under valgrind a process starts too slowly to land inside the bound: the rows say which path ran.
nobus() { env -u DBUS_SESSION_BUS_ADDRESS "$@"; }
if command -v valgrind >/dev/null; then
    for what in "flyteauth --version" "flyteauth token --header, kernel tier alone (no bus)" \
            "flyteauth token --header, confirming (Secret Service)" \
            "footprint host, kernel tier alone (no bus)" "footprint host, confirming (Secret Service)"; do
        case "$what" in
            "flyteauth --version") argv=("$TOOL" --version) ;;
            "flyteauth token"*) argv=("$TOOL" token --header --settings "$SETTINGS") ;;
            *) argv=("$FOOTPRINT" "$LIB" "$SETTINGS") ;;
        esac
        prefix=(env)
        case "$what" in *"no bus"*) prefix=(env -u DBUS_SESSION_BUS_ADDRESS) ;; esac
        out=/dev/null
        [ -n "$CALLGRIND" ] && out=$CALLGRIND/callgrind.$(echo "$what" | tr -c "a-z0-9\n" "-" | tr -s -).out
        sleep 2.1  # past the coherence bound: the confirming rows confirm
        n=$("${prefix[@]}" valgrind --tool=callgrind --callgrind-out-file="$out" "${argv[@]}" 2>&1 >/dev/null \
            | sed -n "s/.*Collected : \([0-9]*\).*/\1/p")
        printf "%-56s %12s instructions\n" "$what" "$n"
    done
else
    echo "(valgrind not installed)"
fi
section "system calls, page faults, shared objects (flyteauth token --header, kernel tier alone)"
if command -v strace >/dev/null; then
    nobus strace -c -f -o "$TMPDIR_PROFILE/strace" "$TOOL" token --header --settings "$SETTINGS" >/dev/null
    echo "system calls: $(awk "/total/ {print \$4}" "$TMPDIR_PROFILE/strace")"
fi
nobus /usr/bin/time -f "minor page faults %R, max RSS %M kB" "$TOOL" token --header --settings "$SETTINGS" 2>&1 >/dev/null | tail -n 1
/usr/bin/time -f "minor page faults %R, max RSS %M kB (flyteauth --version)" "$TOOL" --version 2>&1 >/dev/null | tail -n 1
echo "shared objects: $(nobus env LD_DEBUG=files "$TOOL" token --header --settings "$SETTINGS" 2>&1 >/dev/null \
    | sed -n "s/.*file=\([^ ]*\) .*generating link map/\1/p" | sort -u | tr "\n" " ")"
section "resident memory added by dlopen + first header (bench/footprint.c, kB)"
"$TOOL" token --settings "$SETTINGS" >/dev/null  # confirmed now: the kernel row reads the kernel key alone
for variant in "kernel tier:$SETTINGS" "Secret Service:$SETTINGS_SS" "client creds:$SETTINGS_CC"; do
    "$FOOTPRINT" "$LIB" "${variant#*:}" | "$PY" -c "
import json, sys
r = json.loads(sys.stdin.read())
print(\"%-16s dlopen %5d  total %5d  (%s)\" % (sys.argv[1], r[\"added_by_dlopen_kb\"], r[\"added_total_kb\"],
      \", \".join(\"%s %d\" % (n, k) for n, k in r[\"rss_by_mapping_kb\"][:6])))" "${variant%%:*}"
done
section "wall time (measured on a loaded machine; back to back, so the kernel key stays confirmed)"
if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 20 --runs 300 --style none --export-json "$TMPDIR_PROFILE/hf.json" \
        -n /bin/true /bin/true -n "flyteauth --version" "$TOOL --version" \
        -n "flyteauth token --header" "$TOOL token --header --settings $(printf %q "$SETTINGS")" >/dev/null 2>&1
    "$PY" -c "
import json, sys
for r in json.load(open(sys.argv[1]))[\"results\"]:
    print(\"%-26s median %.2f ms, min %.2f ms (hyperfine, %d runs)\" % (r[\"command\"], r[\"median\"] * 1e3, r[\"min\"] * 1e3, len(r[\"times\"])))" \
        "$TMPDIR_PROFILE/hf.json"
else
    echo "(hyperfine not installed)"
fi
'
