#!/bin/sh
# Run a command inside a private, unlocked Secret Service (gnome-keyring on a
# private D-Bus session bus), with a fresh HOME and XDG_RUNTIME_DIR, so a
# developer's own keyring is never touched.
#
#   Tests/e2e/keyring-session.sh CMD [ARGS...]
#
# The command's exit status is returned. Inside, HOME, XDG_RUNTIME_DIR and
# DBUS_SESSION_BUS_ADDRESS point at the private session; the `login` collection
# exists, is unlocked and is the `default` alias.
#
# Environment:
#   KEYRING_SESSION_PASSWORD  keyring password (default: pw)
#   KEYRING_SESSION_KEEP=1    keep the temp HOME / runtime dir (path printed on stderr)
#
# The gnome-keyring-daemon exits with the bus; this script still records its
# pid and, after the session, SIGTERMs (then SIGKILLs) it by that pid if it
# is still alive, so nothing outlives the session.
set -u

if [ $# -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

base=$(mktemp -d "${TMPDIR:-/tmp}/keyring-session.XXXXXX") || exit 1
chmod 700 "$base"
mkdir -m 700 "$base/home" "$base/run"
pidfile="$base/keyring.pid"

cleanup() {
    if [ -s "$pidfile" ]; then
        kpid=$(cat "$pidfile")
        i=0
        # Wait (bounded, ~3 s) for the daemon to leave on its own after the bus went away.
        while [ $i -lt 30 ]; do
            st=$(ps -o stat= -p "$kpid" 2>/dev/null | cut -c1)
            [ -z "$st" ] || [ "$st" = Z ] && break
            sleep 0.1; i=$((i + 1))
        done
        st=$(ps -o stat= -p "$kpid" 2>/dev/null | cut -c1)
        comm=$(ps -o comm= -p "$kpid" 2>/dev/null)
        if [ -n "$st" ] && [ "$st" != Z ] && [ "${comm#gnome-keyring}" != "$comm" ]; then
            kill -TERM "$kpid" 2>/dev/null
            i=0
            while [ $i -lt 20 ] && ps -o stat= -p "$kpid" 2>/dev/null | grep -qv Z; do
                sleep 0.1; i=$((i + 1))
            done
            ps -o stat= -p "$kpid" 2>/dev/null | grep -qv Z && kill -KILL "$kpid" 2>/dev/null
        fi
    fi
    if [ "${KEYRING_SESSION_KEEP:-}" = 1 ]; then
        echo "keyring-session: kept $base" >&2
    else
        rm -rf "$base"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

KEYRING_SESSION_PIDFILE=$pidfile
KEYRING_SESSION_PASSWORD=${KEYRING_SESSION_PASSWORD:-pw}
export KEYRING_SESSION_PIDFILE KEYRING_SESSION_PASSWORD

# (dbus-daemon may warn "Failed to set fd limit" on stderr: harmless.)
HOME="$base/home" XDG_RUNTIME_DIR="$base/run" \
dbus-run-session -- sh -c '
    printf "%s" "$KEYRING_SESSION_PASSWORD" \
        | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 125
    unset KEYRING_SESSION_PASSWORD
    i=0
    while [ $i -lt 50 ]; do
        kpid=$(dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus \
            /org/freedesktop/DBus org.freedesktop.DBus.GetConnectionUnixProcessID \
            string:org.freedesktop.secrets 2>/dev/null | awk "{print \$2}")
        [ -n "$kpid" ] && break
        sleep 0.1; i=$((i + 1))
    done
    if [ -z "$kpid" ]; then
        echo "keyring-session: org.freedesktop.secrets did not appear on the bus" >&2
        exit 125
    fi
    echo "$kpid" > "$KEYRING_SESSION_PIDFILE"
    unset KEYRING_SESSION_PIDFILE
    exec "$@"
' sh "$@"
