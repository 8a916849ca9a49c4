#!/usr/bin/env bash
# The Python wheel as a pip user gets it: `make wheel`, a fresh venv, `pip install` of the
# wheel alone, then test_wheel.py in that venv inside a private keyring session (the
# client, a device login, the flytekit.auth entry points, the `flyteauth` command, and
# ~/.flyte/config.yaml with `authType: flyteauth_*` in plain flytekit over real gRPC).
#
#   Tests/wheel/run.sh [pytest args...]
#
# Nothing but the wheel may provide libflyteauth: no LD_LIBRARY_PATH / FLYTEAUTH_LIBRARY,
# and no installed copy (ldconfig, dpkg): if one is there the test fails rather than
# pass by accident. flytekit, grpcio and pytest come from $VENV (the test venv, pinned by
# requirements-test.txt) through a path file, without the flyteauth installed there, so
# the test needs no network.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="${VENV:-/opt/flyteauth-venv}"
cd "$REPO"
# The shared runner helpers: the kernel keyring stays off unless in a session of its own.
# shellcheck source=Tests/lib.sh
. Tests/lib.sh

fail() { echo "wheel test: FAILED: $*" >&2; exit 1; }

if installed="$(ldconfig -p | grep flyteauth)"; then
    fail "a libflyteauth is installed on this machine, so this test cannot show the wheel works alone:
$installed
(remove it: apt purge libflyteauth0, or delete the files above, then run again)"
fi
if dpkg-query -W -f='${Status}\n' libflyteauth0 2>/dev/null | grep -q 'installed'; then
    fail "the libflyteauth0 Debian package is installed; purge it first"
fi
# A `make install` without ldconfig is not in ldconfig's cache but is still found.
if stray="$(find /lib /usr/lib /usr/local/lib -maxdepth 2 -name 'libflyteauth.so*' 2>/dev/null | head -5)" && [ -n "$stray" ]; then
    fail "libflyteauth is installed outside the wheel:
$stray"
fi

log="$(mktemp)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/flyteauth-wheel-test.XXXXXX")"
trap 'rm -rf "$tmp" "$log"' EXIT
if ! make --no-print-directory wheel >"$log" 2>&1; then
    tail -30 "$log" >&2
    fail "make wheel"
fi
grep -E 'is consistent with|platform tag: "' "$log" | head -2 || true
wheels=(build/wheel/flyteauth-*.whl)
[ ${#wheels[@]} -eq 1 ] && [ -f "${wheels[0]}" ] || fail "expected one wheel in build/wheel, found: ${wheels[*]}"
echo "wheel test: $(basename "${wheels[0]}") ($(du -k "${wheels[0]}" | cut -f1) KB)"

unset LD_LIBRARY_PATH LD_PRELOAD FLYTEAUTH_LIBRARY PYTHONPATH
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check --no-index --no-deps "${wheels[0]}"

# The test dependencies, minus every flyteauth (the test venv has this checkout editable).
mkdir "$tmp/deps"
for entry in "$VENV"/lib/python3*/site-packages/*; do
    case "$(basename "$entry")" in
        flyteauth|flyteauth-*|__editable__*|*.pth|pip|pip-*|_distutils_hack|__pycache__) continue ;;
    esac
    ln -s "$entry" "$tmp/deps/"
done
site="$("$tmp/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$tmp/deps" > "$site/zz-flyteauth-test-deps.pth"

export FLYTEAUTH_WHEEL_VENV="$tmp/venv" FLYTEAUTH_REPO="$REPO"
export PATH="$tmp/venv/bin:$PATH"
cd "$tmp"
set +e
bash "$REPO/Tests/e2e/keyring-session.sh" "$tmp/venv/bin/python" -m pytest "$HERE/test_wheel.py" -q \
    -p no:cacheprovider --rootdir "$HERE" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
echo "wheel test: $(grep -E '(passed|failed|error)' "$log" | tail -1 | sed 's/^=* *//; s/ *=*$//')"
exit "$status"
