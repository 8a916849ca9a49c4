#!/usr/bin/env bash
# make deb-install-test: installs build/deb/*.deb on this machine with apt-get (so their
# dependencies resolve), uses them as a user of the packages would, with no
# LD_LIBRARY_PATH or PKG_CONFIG_PATH: C through pkg-config, Python with the system
# interpreter, Go through `#cgo pkg-config`, the flyteauth tool; then purges them and
# checks that nothing of theirs is left. Runs as root (CI, or sudo). Leaves the machine
# as it found it, also when a check fails.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# The shared runner helpers: the kernel keyring stays off unless in a session of its own.
# shellcheck source=Tests/lib.sh
. Tests/lib.sh
root=$PWD
unset LD_LIBRARY_PATH PKG_CONFIG_PATH PYTHONPATH PYTHONHOME
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

[ "$(id -u)" -eq 0 ] || { echo "install-test: needs root (apt-get install/purge)" >&2; exit 2; }
shopt -s nullglob
debs=("$root"/build/deb/*.deb)
[ ${#debs[@]} -gt 0 ] || { echo "install-test: no packages in build/deb/; run make deb" >&2; exit 2; }

passed=0; failed=0
pass() { passed=$((passed + 1)); echo "  PASS  $*"; }
fail() { failed=$((failed + 1)); echo "  FAIL  $*"; }
check() {   # check "description" command...: PASS when the command succeeds
    local what=$1; shift
    local out
    if out=$("$@" 2>&1); then pass "$what"; [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/          /'
    else fail "$what"; printf '%s\n' "$out" | tail -n 20 | sed 's/^/          /'; fi
}

tmp=$(mktemp -d /tmp/flyteauth-install-test.XXXXXX)
chmod 0755 "$tmp"
pkgs=()
for deb in "${debs[@]}"; do pkgs+=("$(dpkg-deb -f "$deb" Package)"); done
version=$(dpkg-deb -f "${debs[0]}" Version)
upstream=${version%%-*}
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
# Packages of ours that dpkg knows in any state but "not installed" (config-files included).
installed() { dpkg-query -W -f '${Package} ${db:Status-Abbrev}\n' "$@" 2>/dev/null | awk '$2 !~ /^.n/ {print $1}'; }

purge_all() {   # our packages, and any dependency apt-get pulled in for them
    local extra=()
    if [ -f "$tmp/install.log" ]; then   # what apt-get listed as NEW, less our own
        mapfile -t extra < <(awk '/^The following NEW packages will be installed:/ {on = 1; next}
                                  on && /^  / {for (i = 1; i <= NF; i++) print $i; next} {on = 0}' "$tmp/install.log" \
                             | grep -vxF -f <(printf '%s\n' "${pkgs[@]}") || true)
        [ ${#extra[@]} -eq 0 ] || echo "   also purging what apt-get installed for them: ${extra[*]}"
    fi
    apt-get purge -y -q "${pkgs[@]}" "${extra[@]}" > "$tmp/purge.log" 2>&1
}
cleanup() {
    if [ -n "$(installed "${pkgs[@]}")" ]; then purge_all || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

echo "install-test: ${pkgs[*]} $version"
if [ -n "$(installed "${pkgs[@]}")" ]; then
    echo "install-test: purging a previous installation first: $(installed "${pkgs[@]}" | tr '\n' ' ')"
    apt-get purge -y -q "${pkgs[@]}" >/dev/null 2>&1
fi

# What the packages ship, and which of those paths the system already has (directories
# such as /usr/lib/<triplet>): after the purge, nothing else may remain.
for deb in "${debs[@]}"; do dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -e 's|^\./|/|' -e 's|/$||' | grep -v '^/\?$'; done \
    | sort -u > "$tmp/shipped.paths"
while read -r p; do if [ -e "$p" ] || [ -L "$p" ]; then echo "$p"; fi; done < "$tmp/shipped.paths" > "$tmp/preexisting.paths"

echo "== install"
# A world-readable copy, so apt's unprivileged downloader can read the files.
mkdir -p "$tmp/debs" && cp "${debs[@]}" "$tmp/debs/" && chmod 0644 "$tmp"/debs/*.deb
if apt-get install -y -q --no-install-recommends "$tmp"/debs/*.deb > "$tmp/install.log" 2>&1; then
    pass "apt-get install -y ./build/deb/*.deb ($(ls "$tmp"/debs | tr '\n' ' '))"
else
    fail "apt-get install"; tail -n 30 "$tmp/install.log"
    echo "install-test: $passed passed, $failed failed"; exit 1
fi
for p in "${pkgs[@]}"; do dpkg -L "$p" | grep -vx '/\.' > "$tmp/$p.list"; done
cat "$tmp"/*.list | sort -u > "$tmp/installed.paths"
echo "   $(wc -l < "$tmp/installed.paths") paths installed by ${#pkgs[@]} packages"

work=$tmp/work; mkdir -p "$work/home"
gocache=$(go env GOCACHE 2>/dev/null || true)   # the usual Go build cache, before HOME changes
# The checks run with a throwaway HOME: the library may create cache and lock files.
# Settings that need no network: passthrough, or a token command with the header key
# given (otherwise the library asks the endpoint's discovery documents for it).
export HOME=$work/home XDG_CACHE_HOME=$work/home/.cache XDG_STATE_HOME=$work/home/.local/state XDG_CONFIG_HOME=$work/home/.config

echo "== the library"
# (/lib is /usr/lib on merged-/usr systems: compare real paths.)
check "libflyteauth.so.0 in the loader cache, the file of /usr/lib/$triplet" bash -c "
    p=\$(ldconfig -p | awk '\$1 == \"libflyteauth.so.0\" {print \$NF; exit}'); echo \"ldconfig -p: libflyteauth.so.0 => \$p\";
    [ -n \"\$p\" ] && [ \"\$(readlink -f \"\$p\")\" = /usr/lib/$triplet/libflyteauth.so.$upstream ]"
check "pkg-config: flyteauth $upstream, prefix /usr, libdir /usr/lib/$triplet" bash -c "
    [ \"\$(pkg-config --modversion flyteauth)\" = '$upstream' ] &&
    [ \"\$(pkg-config --variable=prefix flyteauth)\" = /usr ] &&
    [ \"\$(pkg-config --variable=libdir flyteauth)\" = /usr/lib/$triplet ] &&
    [ \"\$(pkg-config --variable=includedir flyteauth)\" = /usr/include ] &&
    echo \"pkg-config --cflags --libs flyteauth: \$(pkg-config --cflags --libs flyteauth)\""

echo "== C"
cat > "$work/hello.c" <<'C'
#include <flyteauth.h>
#include <stdio.h>
#include <string.h>

static int fail(const char *what, flyteauth_status st) {
    const flyteauth_error *e = flyteauth_error_last();
    fprintf(stderr, "%s: %s: %s\n", what, flyteauth_strerror(st), e ? e->message : "");
    return 1;
}

int main(void) {
    printf("flyteauth_version() = %s (0x%06x), header %d.%d.%d\n", flyteauth_version(),
           flyteauth_version_number(), FLYTEAUTH_VERSION_MAJOR, FLYTEAUTH_VERSION_MINOR,
           FLYTEAUTH_VERSION_PATCH);
    flyteauth_client *client = NULL;
    flyteauth_status st = flyteauth_client_new("{\"auth_type\":\"passthrough\",\"keyring\":false}", &client);
    if (st != FLYTEAUTH_OK) return fail("flyteauth_client_new", st);
    st = flyteauth_client_set_token(client, "install-test-token", 0);
    if (st != FLYTEAUTH_OK) return fail("flyteauth_client_set_token", st);
    flyteauth_metadata *md = NULL;
    st = flyteauth_client_metadata(client, &md);
    if (st != FLYTEAUTH_OK) return fail("flyteauth_client_metadata", st);
    int ok = md->count >= 1 && strcmp(md->headers[0].value, "Bearer install-test-token") == 0;
    for (size_t i = 0; i < md->count; i++) printf("%s: %s\n", md->headers[i].key, md->headers[i].value);
    flyteauth_metadata_free(md);
    flyteauth_client_free(client);
    return ok ? 0 : 1;
}
C
check "cc hello.c \$(pkg-config --cflags --libs flyteauth)" \
    bash -c "cc -std=c99 -Wall -Werror -o '$work/hello' '$work/hello.c' \$(pkg-config --cflags --libs flyteauth)"
check "hello resolves libflyteauth.so.0 to the packaged file (no RUNPATH, no LD_LIBRARY_PATH)" bash -c "
    p=\$(ldd '$work/hello' | awk '\$1 == \"libflyteauth.so.0\" {print \$3}'); echo \"ldd: libflyteauth.so.0 => \$p\";
    [ \"\$(readlink -f \"\$p\")\" = /usr/lib/$triplet/libflyteauth.so.$upstream ] && ! readelf -d '$work/hello' | grep -Eq 'RPATH|RUNPATH'"
check "hello: version, passthrough client, set_token, metadata" \
    bash -c "'$work/hello' | tee /dev/stderr | grep -qx 'authorization: Bearer install-test-token'"
# A package built against libflyteauth-dev gets a versioned dependency from the symbols file.
mkdir -p "$work/dependent/debian" "$work/dependent/bin"
cp "$work/hello" "$work/dependent/bin/"
printf 'Source: dependent\n\nPackage: dependent\nArchitecture: any\n' > "$work/dependent/debian/control"
check "dpkg-shlibdeps on a dependent binary: libflyteauth0 (>= $upstream) from libflyteauth0's symbols file" \
    bash -c "cd '$work/dependent' && dpkg-shlibdeps -O bin/hello 2>&1 | tee /dev/stderr | grep -q 'libflyteauth0 (>= $upstream)'"

echo "== Python"
pydir=/usr/lib/python3/dist-packages/flyteauth
if [ -f "$pydir/__init__.py" ]; then
    cat > "$work/hello.py" <<'PY'
import importlib.metadata as md
import flyteauth
from flyteauth import _library

assert flyteauth.__file__.startswith("/usr/lib/python3/dist-packages/flyteauth/"), flyteauth.__file__
client = flyteauth.Client({"auth_type": "passthrough", "keyring": False})
client.set_token("install-test-token")
headers = client.headers()
print("flyteauth %s from %s, library %s (%s)" % (md.version("flyteauth"), flyteauth.__file__,
                                                 flyteauth.library_version(), _library.load().path))
for k, v in headers.items():
    print("%s: %s" % (k, v))
maps = open("/proc/self/maps").read()
assert "/usr/lib/%s/libflyteauth.so.0" % __import__("sysconfig").get_config_var("MULTIARCH") in maps, "library not loaded from /usr/lib"
assert headers.get("authorization") == "Bearer install-test-token", headers
eps = [e.name for e in md.entry_points(group="flytekit.auth")]
print("flytekit.auth entry points:", " ".join(sorted(eps)) or "(none)")
client.close()
PY
    check "/usr/bin/python3 -I: import flyteauth, passthrough client, headers" /usr/bin/python3 -I "$work/hello.py"
    check "python3-flyteauth byte-compiled by postinst" bash -c "ls $pydir/__pycache__/*.pyc >/dev/null"
else
    echo "  SKIP  no Python binding in the packages"
fi

echo "== Go"
if command -v go >/dev/null; then
    export GOPROXY=off GOTOOLCHAIN=local GOFLAGS=-mod=mod GOPATH=$work/gopath GOCACHE=${gocache:-$work/gocache}
    if [ -d "$root/bindings/go/examples/header" ]; then
        cp -r "$root/bindings/go" "$work/go"
        check "go build bindings/go/examples/header (#cgo pkg-config: flyteauth)" \
            bash -c "cd '$work/go' && go build -o '$work/go-header' ./examples/header"
        check "go example: header from an external command" bash -c "
            '$work/go-header' -settings '{\"auth_type\":\"externalcommand\",\"command\":[\"/bin/echo\",\"install-test-token\"],\"endpoint\":\"flyte.invalid\",\"authorization_header\":\"authorization\",\"keyring\":false}' \
            | tee /dev/stderr | grep -q '^authorization: Bearer ins'"
    else
        mkdir -p "$work/go"
        printf 'module example.com/hello\n\ngo 1.21\n' > "$work/go/go.mod"
        cat > "$work/go/main.go" <<'GO'
package main

/*
#cgo pkg-config: flyteauth
#include <flyteauth.h>
*/
import "C"
import "fmt"

func main() { fmt.Println("flyteauth_version() =", C.GoString(C.flyteauth_version())) }
GO
        check "go build (#cgo pkg-config: flyteauth)" bash -c "cd '$work/go' && go build -o '$work/go-hello' ."
        check "go program calls the library" bash -c "'$work/go-hello' | tee /dev/stderr | grep -q '= $upstream'"
    fi
else
    echo "  SKIP  go not installed"
fi

echo "== the tool"
if [ -x /usr/bin/flyteauth ]; then
    check "flyteauth --version" bash -c "/usr/bin/flyteauth --version | tee /dev/stderr | grep -q '$upstream'"
    check "flyteauth --help" bash -c "/usr/bin/flyteauth --help > '$work/help.txt' && head -n 1 '$work/help.txt'"
    if grep -q '/usr/share/man/man1/flyteauth.1' "$tmp/installed.paths"; then
        check "man page flyteauth(1)" bash -c "zcat /usr/share/man/man1/flyteauth.1.gz | grep -q '^\.TH FLYTEAUTH 1'"
    fi
fi

echo "== purge"
if purge_all; then pass "apt-get purge -y ${pkgs[*]}"; else fail "apt-get purge"; tail -n 20 "$tmp/purge.log"; fi
check "no package left installed or in config-files state" \
    bash -c "! dpkg-query -W -f '\${Package} \${db:Status-Abbrev}\n' ${pkgs[*]} 2>/dev/null | grep -v ' un'"
left=$(sort -u "$tmp/installed.paths" "$tmp/shipped.paths" | grep -vxF -f "$tmp/preexisting.paths" \
       | while read -r p; do if [ -e "$p" ] || [ -L "$p" ]; then echo "$p"; fi; done)
if [ -z "$left" ]; then pass "nothing left of the $(wc -l < "$tmp/installed.paths") installed paths (dpkg -L before purge)"
else fail "left after purge:"; echo "$left" | sed 's/^/          /'; fi
check "nothing left in the loader cache" bash -c "! ldconfig -p | grep -F libflyteauth"
check "no byte-compiled files left" bash -c "[ ! -e $pydir ]"

echo "install-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
