#!/usr/bin/env bash
# The main job, end to end: a real identity provider (glewlwyd) behind a Flyte endpoint,
# a private Secret Service, libflyteauth from C, and the flyteauth tool sharing its cache.
# Everything runs on 127.0.0.1 and is stopped by pid at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STAGE=$ROOT/build/stage
PY=${PYTHON:-python3}
export PYTHONPATH=$ROOT/Tests/e2e
work=$(mktemp -d)
state=$work/state.json
cleanup() { "$PY" -m harness down --state "$state" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

say() { printf '\n== %s\n' "$*"; }

say "Starting glewlwyd (a real OAuth2/OIDC server) and a Flyte endpoint in front of it"
"$PY" -m harness up --state "$state" --access-token-duration 60 >/dev/null
endpoint=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint"])' "$state")
client_id=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["service_client_id"])' "$state")
"$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["service_client_secret"])' "$state" > "$work/secret"
chmod 600 "$work/secret"
echo "  Flyte endpoint: $endpoint"

say "Building a C program against build/stage with pkg-config"
# shellcheck disable=SC2046  # pkg-config's flags are split on purpose
cc -std=c99 -Wall -Wextra -Werror scripts/demo/print_header.c -o "$work/print_header" \
    $(PKG_CONFIG_PATH=$STAGE/lib/pkgconfig pkg-config --cflags --libs flyteauth)
echo "  cc ... \$(pkg-config --cflags --libs flyteauth)"

cat > "$work/run.sh" <<INNER
set -e
export LD_LIBRARY_PATH=$STAGE/lib
settings='{"endpoint":"${endpoint#http://}","insecure":true,"auth_type":"ClientSecret","client_id":"$client_id",
           "client_secret_location":"$work/secret","scopes":["all"]}'
echo "== Process 1 (C): discovery, client credentials at the IdP, header, token cached in the kernel keyring and the Secret Service"
start=\$(date +%s%N)
$work/print_header "\$settings"
echo "  took \$(( (\$(date +%s%N) - start) / 1000000 )) ms"
echo
echo "== Process 2 (C): the same header from the kernel keyring tier (one system call), no request to the IdP"
start=\$(date +%s%N)
$work/print_header "\$settings"
echo "  took \$(( (\$(date +%s%N) - start) / 1000000 )) ms"
echo
echo "== The flyteauth tool reads the same cache"
$STAGE/bin/flyteauth status --settings "\$settings" | sed 's/^/  /'
echo
echo "== Kernel keyring key (this demo's own session keyring, never your own keys)"
keyctl show @s 2>&1 | grep -E 'flyteauth' | sed 's/^/  /'
echo
echo "== Secret Service item (attributes only)"
secret-tool search --all service "flyteauth:${endpoint#http://}" 2>&1 | grep -E '^(label|attribute)' | sed 's/^/  /'
INNER
# The kernel keyring tier in a session keyring of the demo's own (`keyctl session -`),
# so the demo never writes into the user's persistent keyring.
if command -v keyctl >/dev/null; then
    FLYTEAUTH_KERNEL_KEYRING=session keyctl session - bash Tests/e2e/keyring-session.sh bash "$work/run.sh" \
        2> >(grep -v -e "Failed to set fd limit" -e "Joined session keyring" >&2)
else
    FLYTEAUTH_KERNEL_KEYRING=off bash Tests/e2e/keyring-session.sh bash "$work/run.sh" 2> >(grep -v "Failed to set fd limit" >&2)
fi

requests=$(curl -s --noproxy '*' "$endpoint/_test/counts" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["token_total"])')
say "Token requests that reached the identity provider: $requests (one login, reused by every process)"
