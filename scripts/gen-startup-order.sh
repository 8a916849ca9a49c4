#!/usr/bin/env bash
# Records scripts/startup.order: the functions of libflyteauth and of the flyteauth tool that
# run from process start (or dlopen) to the first header, which the distribution link
# places first in .text (Package.swift, FLYTEAUTH_ORDER_FILE). Run it after changing what
# start-up runs, and commit the list:
#
#   make stage && bash scripts/gen-startup-order.sh && make stage
#
# Method: callgrind (valgrind) runs, inside bench/startup_profile.sh's private session, of
# the paths a process takes to its first header: bench/footprint.c (dlopen, client, header)
# and `flyteauth token --header`, each with the token served by the kernel tier alone and
# confirmed against the Secret Service; then the library reading the Secret Service alone
# (kernel tier off) and getting a client-credentials token (libcurl). Each function is listed once, after the run that first ran it, with the
# symbol names of the unstripped build (.build-dist/release). A list from an older tree
# stays usable: the linker skips names that no longer exist. (Much of the Swift standard
# library comes in one shared section of the runtime's archive: naming one of its functions
# places that whole section, which is how it lands next to the rest of start-up.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/scripts/startup.order}
command -v valgrind >/dev/null || { echo "gen-startup-order.sh: valgrind is needed" >&2; exit 2; }
for f in "$root/.build-dist/release/flyteauth-cli" "$root/.build-dist/release/libflyteauth.so"; do
    [ -f "$f" ] || { echo "gen-startup-order.sh: $f is missing: make stage first" >&2; exit 2; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/flyteauth-order.XXXXXX")
[ -n "${KEEP_ORDER_WORK:-}" ] || trap 'rm -rf "$work"' EXIT
export ORDER_WORK=$work
# shellcheck disable=SC2016  # expanded inside the session
bash "$root/bench/startup_profile.sh" --callgrind "$work" --exec '
set -euo pipefail
cg() { local name=$1; shift; valgrind --tool=callgrind --demangle=no --dump-instr=no \
    --callgrind-out-file="$ORDER_WORK/$name.cg" "$@" >/dev/null 2>&1; }
# Without a bus nothing can confirm: the kernel tier serves alone. Each run starts past the
# coherence bound (2 s after the last confirmation), so every run takes the same path.
export -f cg
sleep 2.1
env -u DBUS_SESSION_BUS_ADDRESS bash -c '"'"'cg 1-footprint-kernel "$FOOTPRINT" "$LIB" "$SETTINGS"'"'"'
sleep 2.1
env -u DBUS_SESSION_BUS_ADDRESS bash -c '"'"'cg 2-token-kernel "$TOOL" token --header --settings "$SETTINGS"'"'"'
sleep 2.1  # past the coherence bound: these confirm against the Secret Service
cg 3-footprint-confirm "$FOOTPRINT" "$LIB" "$SETTINGS"
sleep 2.1
cg 4-token-confirm "$TOOL" token --header --settings "$SETTINGS"
sleep 2.1
cg 5-footprint-secret-service "$FOOTPRINT" "$LIB" "$SETTINGS_SS"
sleep 2.1
cg 6-footprint-client-credentials "$FOOTPRINT" "$LIB" "$SETTINGS_CC"
'
python3 - "$work" "$out" <<'EOF'
import glob, os, re, sys
work, out = sys.argv[1], sys.argv[2]
ours = ("flyteauth", "libflyteauth.so.0")
names, seen = [], set()
for path in sorted(glob.glob(os.path.join(work, "*.cg"))):
    # callgrind's compressed names: "ob=(n) path" / "fn=(n) name" the first time, "(n)" after.
    obs, fns, ob, new = {}, {}, None, []
    for line in open(path, errors="replace"):
        m = re.match(r"(c?ob|c?fn)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
        if not m:
            continue
        kind, ident, name = m.groups()
        table = obs if kind.endswith("ob") else fns
        if name is not None:
            table[ident] = name
        if kind == "ob":
            ob = obs.get(ident)
        elif kind == "fn" and ob and os.path.basename(ob) in ours:
            fn = fns.get(ident)
            if fn and fn not in seen and not fn.startswith("0x"):
                seen.add(fn)
                new.append(fn)
    # callgrind writes functions in no fixed order: sorted, so the same runs give the same list.
    names += sorted(new)
if len(names) < 100:
    sys.exit("gen-startup-order.sh: only %d functions recorded; is valgrind working?" % len(names))
with open(out, "w") as f:
    f.write("".join(n + "\n" for n in names))
print("gen-startup-order.sh: %d functions in %s" % (len(names), out))
EOF
