#!/usr/bin/env bash
# The coherence suites: every tier and every tool keep one login while an identity
# provider rotates refresh tokens. Inside one anonymous session keyring (`keyctl session
# -`): the kernel tier is `session` there, never the user's persistent or user keyring.
#   bash Tests/coherence/run.sh [pytest args]
#   bash Tests/coherence/run.sh --soak SECONDS     the soak alone (make soak: 600 s)
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${VENV:-/opt/flyteauth-venv}
command -v keyctl >/dev/null || { echo "keyctl not found: scripts/install-deps.sh installs keyutils" >&2; exit 1; }
[ -x build/stage/bin/flyteauth ] || { echo "build/stage is missing: make stage" >&2; exit 1; }
mkdir -p build/tests
cc -std=c11 -Wall -Wextra -Werror -O1 -shared -fPIC Tests/coherence/hide_library.c -o build/tests/hide_library.so -ldl
export FLYTEAUTH_KERNEL_KEYRING=session
keyctl session - bash -c '
    case "$(keyctl rdescribe @s)" in *";_ses") ;; *) echo "not in an anonymous session keyring" >&2; exit 1 ;; esac
    if [ "${1:-}" = --soak ]; then
        (cd Tests/coherence && "$0" soak.py --seconds "${2:?--soak needs seconds}"); rc=$?
    else
        "$0" -m pytest Tests/coherence -q -p no:cacheprovider "$@"; rc=$?
    fi
    keyctl clear @s
    exit $rc
' "$VENV/bin/python" "$@"
