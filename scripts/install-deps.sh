#!/usr/bin/env bash
# Installs every system and Python dependency of libflyteauth on Debian 12 (run as root).
# Idempotent: safe to run again; does nothing that is already done.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# Swift 6.1 or newer is not a Debian package: the machine provides it (in /opt/swift here).
if ! command -v swift >/dev/null && [ ! -x /opt/swift/usr/bin/swift ]; then
  echo "install-deps: no Swift toolchain (swift not in PATH nor /opt/swift/usr/bin): install Swift 6.1+ from swift.org first" >&2
  exit 1
fi

# Go 1.23 lives in bookworm-backports (Debian 12 main has 1.19 only).
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  cat > /etc/apt/sources.list.d/bookworm-backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi

PKGS=(
  # build
  build-essential pkg-config libcurl4-openssl-dev libsecret-1-dev libglib2.0-dev libssl-dev
  libmicrohttpd-dev libqrencode-dev libyaml-dev
  # tests: identity provider, keyring, tools
  glewlwyd sqlite3 openssl gnome-keyring dbus dbus-daemon libsecret-tools procps psmisc curl
  valgrind python3-venv keyutils
  # the newcomer tests: the tool in an 80-column terminal, login pages in a browser, the QR code
  tmux chromium zbar-tools fonts-dejavu-core
  # the Go adapters' tests: grpc-go and x/oauth2 (GOPATH sources, no module proxy here)
  golang-google-grpc-dev golang-golang-x-oauth2-dev
  # packaging and ABI checks
  debhelper dpkg-dev lintian abigail-tools fakeroot
  # make lint (swift-format comes with the toolchain; ruff and mypy from the test venv)
  shellcheck
)
stamp=/var/lib/libflyteauth-deps.stamp
want="$(printf '%s\n' "${PKGS[@]}" | sort | tr '\n' ' ') golang-go golang-github-zitadel-oidc-dev"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && command -v go >/dev/null; then
  echo "install-deps: already installed"
else
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${PKGS[@]}" >/dev/null
  apt-get install -y -qq --no-install-recommends -t bookworm-backports golang-go >/dev/null
  # The RFC 8693 token-exchange server of the tests: zitadel/oidc's example OP, built from
  # this package's source by Tests/zitadel/build.sh.
  apt-get install -y -qq --no-install-recommends -t bookworm-backports golang-github-zitadel-oidc-dev >/dev/null
  echo "$want" > "$stamp"
fi
# The glewlwyd package enables a system service; the tests run private instances only.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now glewlwyd >/dev/null 2>&1 || true; fi
# Only the packaged service (started by its init script with the system configuration),
# never a test's private instance running beside this script.
pkill -f -- 'glewlwyd --config=/etc/glewlwyd' 2>/dev/null || true
if [ -x /etc/init.d/glewlwyd ]; then /etc/init.d/glewlwyd stop >/dev/null 2>&1 || true; fi

# Python test dependencies (flytekit and grpcio from PyPI) in a private venv.
VENV="${FLYTEAUTH_VENV:-/opt/flyteauth-venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check -r "$(dirname "$0")/../bindings/python/requirements-test.txt"
# flyte-sdk (Flyte 2) for the interop matrix, in a venv of its own: its pins differ from flytekit's.
VENV2="${FLYTEAUTH_VENV_FLYTE2:-/opt/flyteauth-venv-flyte2}"
if [ ! -x "$VENV2/bin/python" ]; then
  python3 -m venv "$VENV2"
fi
"$VENV2/bin/pip" install -q --disable-pip-version-check -r "$(dirname "$0")/../bindings/python/requirements-flyte2.txt"
echo "install-deps: done"
