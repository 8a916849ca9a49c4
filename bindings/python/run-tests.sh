#!/usr/bin/env bash
# Install the flyteauth Python binding into a virtualenv (editable, so the flytekit.auth
# entry points exist) and run its test suite against the harness (glewlwyd + Flyte front).
#
#   bindings/python/run-tests.sh [pytest args...]
#
# VENV               the virtualenv (default /opt/flyteauth-venv) with the test requirements
#                    (requirements-test.txt: pytest, grpcio, requests, httpx, flytekit, keyring)
# FLYTEAUTH_LIBRARY  libflyteauth to test (default: this checkout's build/stage/lib/libflyteauth.so.0)
set -euo pipefail
# The shared runner helpers: the kernel keyring stays off unless in a session of its own.
# shellcheck source=../../Tests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../Tests/lib.sh"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="${VENV:-/opt/flyteauth-venv}"
PY="$VENV/bin/python"

if [ ! -x "$PY" ]; then
    echo "run-tests.sh: no python at $PY (set VENV)" >&2
    exit 2
fi
if [ -z "${FLYTEAUTH_LIBRARY:-}" ] && [ -e "$REPO/build/stage/lib/libflyteauth.so.0" ]; then
    export FLYTEAUTH_LIBRARY="$REPO/build/stage/lib/libflyteauth.so.0"
fi

install_log="$(mktemp)"
trap 'rm -f "$install_log"' EXIT
echo "run-tests.sh: installing $HERE into $VENV (editable)"
if "$PY" -m pip install --quiet --no-deps -e "$HERE" >"$install_log" 2>&1; then
    :
elif "$PY" -m pip install --quiet --no-deps --no-build-isolation -e "$HERE" >>"$install_log" 2>&1; then
    :
else
    # Offline and without `wheel`: the same result by hand (a .pth file for src/ and a
    # dist-info carrying the entry points), which pip can uninstall later.
    echo "run-tests.sh: pip could not build the editable install (offline?); installing by hand" >&2
    tail -5 "$install_log" >&2 || true
    "$PY" - "$HERE" <<'PYEOF'
import os, re, sys, sysconfig
here = sys.argv[1]
site = sysconfig.get_paths()["purelib"]
text = open(os.path.join(here, "pyproject.toml")).read()
version = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M).group(1)
block = re.search(r'^\[project\.entry-points\."flytekit\.auth"\]\n(.*?)(?:\n\[|\Z)', text, re.M | re.S).group(1)
eps = [l.strip() for l in block.splitlines() if "=" in l and not l.strip().startswith("#")]
info = os.path.join(site, "flyteauth-%s.dist-info" % version)
os.makedirs(info, exist_ok=True)
files = {
    "METADATA": "Metadata-Version: 2.1\nName: flyteauth\nVersion: %s\n" % version,
    "INSTALLER": "run-tests.sh\n",
    "entry_points.txt": "[flytekit.auth]\n" + "\n".join(e.replace('"', "") for e in eps) + "\n",
    "top_level.txt": "flyteauth\n",
}
for name, content in files.items():
    with open(os.path.join(info, name), "w") as f:
        f.write(content)
pth = os.path.join(site, "__editable__.flyteauth-%s.pth" % version)
with open(pth, "w") as f:
    f.write(os.path.join(here, "src") + "\n")
records = [os.path.join(info, n) for n in files] + [pth, os.path.join(info, "RECORD")]
with open(os.path.join(info, "RECORD"), "w") as f:
    f.write("".join("%s,,\n" % os.path.relpath(p, site) for p in records))
PYEOF
fi
"$PY" -c 'import flyteauth, importlib.metadata as m; eps = [e.name for e in m.entry_points(group="flytekit.auth") if e.name.startswith("flyteauth")]; print("run-tests.sh: flyteauth", flyteauth.__version__, "from", flyteauth.__file__, "entry points:", ", ".join(sorted(eps)))'

log="$(mktemp)"
trap 'rm -f "$install_log" "$log"' EXIT
cd "$REPO"
set +e
"$PY" -m pytest "$HERE/tests" -q "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
summary="$(grep -E '(passed|failed|error|skipped|xfailed|no tests ran)' "$log" | tail -1 | sed 's/^=* *//; s/ *=*$//')"
echo "run-tests.sh: ${summary:-pytest exited with status $status}"
exit "$status"
