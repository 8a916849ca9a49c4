# shellcheck shell=bash
# What the test runners share. Source it, do not run it:
#   . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"   (from Tests/<suite>/run.sh)

# Never the developer's own kernel keyring (persistent or user, whatever the caller
# exported): the tier stays off unless the caller runs inside a session keyring of its
# own (`keyctl session -`) and asked for that one (FLYTEAUTH_KERNEL_KEYRING=session).
case "${FLYTEAUTH_KERNEL_KEYRING:-}" in session) ;; *) export FLYTEAUTH_KERNEL_KEYRING=off ;; esac

# The repository's top directory.
FLYTEAUTH_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export FLYTEAUTH_REPO

# Fails the runner with a message on stderr.
die() {
    echo "$(basename "$0"): $*" >&2
    exit 1
}
