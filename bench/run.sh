#!/usr/bin/env bash
# libflyteauth benchmarks: libflyteauth from C, Python, Go and the `flyteauth`
# tool side by side with flytekit, against a private glewlwyd and a private Secret
# Service on 127.0.0.1. `make bench` runs this after staging the build.
#
#   bash bench/run.sh            full run (5-6 minutes on 2 cores): writes
#                                bench/results/<date>-<host>.json and .png, and BENCHMARKS.md
#   bash bench/run.sh --quick    few repetitions, for development (about 2 minutes): results and
#                                a report in bench/results/quick/ (git-ignored); BENCHMARKS.md is
#                                left alone
#   bash bench/run.sh --smoke    CI: every case once at minimal size (under 2 minutes);
#                                fails only on errors, never on timing; results in a
#                                temporary directory (printed); BENCHMARKS.md is left alone
#   --out DIR                    write the results (and the chart) to DIR instead
#
# Needs the staged build (build/stage: `make`), the venv with flytekit and keyring
# (scripts/install-deps.sh; VENV=/opt/flyteauth-venv by default), flyte-sdk's venv
# (FLYTE2_PYTHON=/opt/flyteauth-venv-flyte2/bin/python by default), cc, glewlwyd,
# gnome-keyring and dbus; go is optional (the Go rows are skipped without it).
# Never builds Swift. Every server it starts is stopped by pid when it ends.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
mode=full
out=
args=("$@")
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) mode=quick ;;
        --smoke) mode=smoke ;;
        --full) mode=full ;;
        --out) out=${2:?--out needs a directory}; shift ;;
        --out=*) out=${1#--out=} ;;
        -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument $1 (use --quick, --smoke, --out DIR)" >&2; exit 64 ;;
    esac
    shift
done

VENV=${VENV:-/opt/flyteauth-venv}
PY=$VENV/bin/python
STAGE=${FLYTEAUTH_STAGE:-$root/build/stage}
for f in "$STAGE/lib/libflyteauth.so.0" "$STAGE/include/flyteauth.h" "$STAGE/bin/flyteauth"; do
    [ -e "$f" ] || { echo "run.sh: $f is missing: stage the build first (make)" >&2; exit 2; }
done
[ -x "$PY" ] || { echo "run.sh: no Python venv at $VENV (bash scripts/install-deps.sh)" >&2; exit 2; }
for tool in cc pkg-config glewlwyd gnome-keyring-daemon dbus-run-session; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool not found (bash scripts/install-deps.sh)" >&2; exit 2; }
done
"$PY" -c 'import flytekit.clients.auth.authenticator, keyring' 2>/dev/null \
    || { echo "run.sh: flytekit or keyring missing from $VENV (bash scripts/install-deps.sh)" >&2; exit 2; }
# flyte-sdk (Flyte 2), the second peer of case 1, in a venv of its own.
export FLYTE2_PYTHON=${FLYTE2_PYTHON:-/opt/flyteauth-venv-flyte2/bin/python}
"$FLYTE2_PYTHON" -c 'import flyte.remote._client.auth._authenticators.pkce, keyring' 2>/dev/null \
    || { echo "run.sh: flyte-sdk missing from $FLYTE2_PYTHON (bash scripts/install-deps.sh)" >&2; exit 2; }

if [ -n "${MAKELEVEL:-}" ]; then
    command="make bench${BENCH_ARGS:+ BENCH_ARGS=\"$BENCH_ARGS\"}"
else
    command="bash bench/run.sh${args[*]:+ ${args[*]}}"
fi

host=$(hostname -s 2>/dev/null || hostname)
day=$(date +%Y-%m-%d)
markdown=()
case "$mode" in
    full)  stem="$day-$host"; : "${out:=$root/bench/results}"; markdown=(--markdown "$root/BENCHMARKS.md") ;;
    quick) stem="$day-$host-quick"; : "${out:=$root/bench/results/quick}" ;;
    smoke) stem="smoke-$host"; : "${out:=$(mktemp -d "${TMPDIR:-/tmp}/flyteauth-bench-smoke.XXXXXX")}" ;;
esac
mkdir -p "$out"
# Quick and smoke runs write their report next to their results, never BENCHMARKS.md.
[ "$mode" = full ] || markdown=(--markdown "$out/$stem.md")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/flyteauth-bench.XXXXXX")
chmod 700 "$tmp"
child=
cleanup() {
    # The benchmark itself stops its servers; this is the backstop if it could not.
    if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
        bpid=$(cat "$tmp/bench.pid" 2>/dev/null || true)
        if [ -n "$bpid" ] && grep -qs bench.py "/proc/$bpid/cmdline"; then kill -TERM "$bpid" 2>/dev/null || true; fi
        for _ in $(seq 300); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
    fi
    for s in "$tmp"/state-*.json; do
        [ -f "$s" ] && (cd "$root/Tests/e2e" && "$PY" -m harness down --state "$s" >/dev/null 2>&1) || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A snapshot of the staged build, so a rebuild of build/stage during the run cannot mix
# two libraries into one set of results.
origin=$STAGE
mkdir -p "$tmp/stage"
cp -a "$STAGE/." "$tmp/stage/"
STAGE=$tmp/stage
mkdir -p "$tmp/bin"
export PKG_CONFIG_PATH=$STAGE/lib/pkgconfig  # relocatable (${pcfiledir}): names the snapshot
export LD_LIBRARY_PATH=$STAGE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

echo "run.sh: $mode run; building the benchmark programs"
CFLAGS_BENCH=(-std=gnu11 -O2 -Wall -Wextra)
read -ra FLYTEAUTH_CFLAGS_LIBS <<< "$(pkg-config --cflags --libs flyteauth)"
cc "${CFLAGS_BENCH[@]}" -o "$tmp/bin/first_header" "$here/first_header.c" "${FLYTEAUTH_CFLAGS_LIBS[@]}"
cc "${CFLAGS_BENCH[@]}" -o "$tmp/bin/storm" "$here/storm.c" "${FLYTEAUTH_CFLAGS_LIBS[@]}" -lpthread
cc "${CFLAGS_BENCH[@]}" -o "$tmp/bin/expiry_bench" "$here/expiry_bench.c" "${FLYTEAUTH_CFLAGS_LIBS[@]}" -lpthread
cc "${CFLAGS_BENCH[@]}" -o "$tmp/bin/metadata_bench" "$here/metadata_bench.c" "${FLYTEAUTH_CFLAGS_LIBS[@]}" -lpthread
read -ra FLYTEAUTH_CFLAGS <<< "$(pkg-config --cflags flyteauth)"
cc "${CFLAGS_BENCH[@]}" -o "$tmp/bin/footprint" "$here/footprint.c" "${FLYTEAUTH_CFLAGS[@]}" -ldl
# The floor of case 1: a C process that does nothing.
printf 'int main(void) { return 0; }\n' > "$tmp/bare.c"
cc "${CFLAGS_BENCH[@]}" -o "$tmp/bin/bare_c" "$tmp/bare.c"

# Go: a program on the binding (bindings/go). A binding that does not build is an error.
go_impl=none
if command -v go >/dev/null; then
    export GOPROXY=off GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=1
    # Go's build cache can keep the pkg-config -L of an earlier run's snapshot (gone now)
    # in the binding's cached package: name this run's library directory too.
    export CGO_LDFLAGS="-L$STAGE/lib${CGO_LDFLAGS:+ $CGO_LDFLAGS}"
    (cd "$here/go" && go build -o "$tmp/bin/go-bench" . ) || { echo "run.sh: the Go binding does not build" >&2; exit 1; }
    go_impl=binding
else
    echo "run.sh: go not found; the Go rows are skipped" >&2
fi

# Python: the binding (bindings/python) must import and work.
python_impl=binding
PYTHONPATH=$root/bindings/python/src FLYTEAUTH_LIBRARY=$STAGE/lib/libflyteauth.so.0 "$PY" -c '
import flyteauth
c = flyteauth.Client({"auth_type": "passthrough"})
c.set_token("x" * 10)
assert c.metadata()[0][1] == "Bearer " + "x" * 10
c.close()' || { echo "run.sh: the Python binding does not work with the staged library" >&2; exit 1; }

# --- Go per-call benchmark (bindings/go/flyteauth/bench_test.go) ------------
# go test's own benchmark of Client.Metadata / Headers / GetRequestMetadata on a warm
# cache, against the snapshot above. Writes $out/$stem-go-percall.json:
# {"BenchmarkPerCallMetadata": {"ns_per_op": [..one per -count..], "allocs_per_op": N}, ...}
# and the raw go test output next to it (.txt).
if [ "$go_impl" = binding ]; then
    case "$mode" in full) gb=(-benchtime 1s -count 5) ;; quick) gb=(-benchtime 500ms -count 3) ;; *) gb=(-benchtime 100ms -count 1) ;; esac
    (cd "$root/bindings/go" && FLYTEAUTH_GO_NO_E2E=1 go test -run '^$' -bench PerCall -benchmem "${gb[@]}" ./flyteauth) \
        > "$out/$stem-go-percall.txt" 2>&1 || { echo "run.sh: the Go per-call benchmark failed:" >&2; cat "$out/$stem-go-percall.txt" >&2; exit 1; }
    "$PY" -c '
import json, re, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"(Benchmark\w+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:.*?(\d+) allocs/op)?", line)
    if m:
        r = rows.setdefault(m.group(1), {"ns_per_op": [], "allocs_per_op": None})
        r["ns_per_op"].append(float(m.group(2)))
        if m.group(3) is not None:
            r["allocs_per_op"] = int(m.group(3))
json.dump(rows, open(sys.argv[2], "w"), indent=1)
' "$out/$stem-go-percall.txt" "$out/$stem-go-percall.json"
    echo "run.sh: Go per-call benchmark: $out/$stem-go-percall.json"
fi
# --- end of the Go per-call benchmark ---------------------------------------------------

echo "run.sh: programs built (Go: $go_impl, Python: $python_impl); starting the benchmark"
# Inside a private Secret Service (fresh HOME and XDG_RUNTIME_DIR), as the tests do, and
# a private session keyring for the kernel tier (never the user's own keys).
command -v keyctl >/dev/null || { echo "run.sh: keyctl not found (bash scripts/install-deps.sh)" >&2; exit 2; }
export FLYTEAUTH_KERNEL_KEYRING=session
keyctl session - "$root/Tests/e2e/keyring-session.sh" "$PY" "$here/bench.py" --mode "$mode" --bin "$tmp/bin" --tmp "$tmp" \
    --out "$out" --stem "$stem" --stage "$STAGE" --stage-origin "$origin" --command "$command" \
    --python-impl "$python_impl" --go-impl "$go_impl" "${markdown[@]}" &
child=$!
rc=0
wait "$child" || rc=$?
child=
if [ "$mode" = smoke ]; then
    echo "run.sh: smoke results in $out"
fi
exit "$rc"
