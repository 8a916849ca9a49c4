#!/usr/bin/env bash
# The kernel keyring tier against the real kernel keyring, glewlwyd and gnome-keyring.
# Every test process runs inside one anonymous session keyring (`keyctl session -`) with
# the tier set to `session`, so the user's own persistent and user keyrings are never
# touched; afterwards the session keyring must be empty and the user keyring unchanged.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
STAGE=$ROOT/build/stage
OUT=$ROOT/build/tests
VENV=${VENV:-/opt/flyteauth-venv}
command -v keyctl >/dev/null || { echo "keyctl not found: scripts/install-deps.sh installs keyutils" >&2; exit 1; }
mkdir -p "$OUT"
export PKG_CONFIG_PATH=$STAGE/lib/pkgconfig
cc -std=c11 -Wall -Wextra -Werror -O1 -shared -fPIC Tests/kernel/keyctl_eperm.c -o "$OUT/keyctl_eperm.so" -ldl
# shellcheck disable=SC2046  # pkg-config's flags are split on purpose
cc -std=c11 -Wall -Wextra -Werror -O1 Tests/kernel/maps_header.c -o "$OUT/maps_header" $(pkg-config --cflags --libs flyteauth)
export LD_LIBRARY_PATH=$STAGE/lib FLYTEAUTH_KERNEL_TEST_TOOLS=$OUT FLYTEAUTH_KERNEL_KEYRING=session

user_before=$(keyctl rlist @u 2>/dev/null || true)
# The persistent keyring is read through a session of its own (get_persistent links it there).
persistent_keys() { keyctl session - sh -c 'keyctl rlist "$(keyctl get_persistent @s)"' 2>/dev/null | tr ' ' '\n' | sort; }
persistent_before=$(persistent_keys)
keyctl session - bash -c '
    "$0" -m pytest Tests/kernel -q -p no:cacheprovider "$@"; rc=$?
    keyctl show @s
    if [ -n "$(keyctl rlist @s)" ]; then echo "left behind in the session keyring" >&2; rc=1; fi
    exit $rc
' "$VENV/bin/python" "$@"
user_after=$(keyctl rlist @u 2>/dev/null || true)
if [ "$user_before" != "$user_after" ]; then echo "the user keyring changed: $user_before -> $user_after" >&2; exit 1; fi
# Nothing added to the persistent keyring (keys may only have expired and gone).
added=$(comm -13 <(echo "$persistent_before") <(persistent_keys) | grep . || true)
if [ -n "$added" ]; then echo "keys added to the user's persistent keyring: $added" >&2; exit 1; fi
