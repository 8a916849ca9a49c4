#!/usr/bin/env bash
# make deb: builds the Debian packages from a copy of the source tree (what git would
# commit, plus uncommitted and untracked-but-not-ignored files), so the working tree,
# its build/stage and SwiftPM scratch directories are left alone and every build starts
# clean. Checks every package with lintian (errors and warnings fail) and collects the
# .deb, .changes and .buildinfo files in build/deb/.
#
#   DEB_BUILD_OPTIONS=nocheck make deb   skip the exports check during the build
#   KEEP=1 make deb                      keep the build copy (build/deb-work/)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/build/deb
work=$root/build/deb-work
version=$(dpkg-parsechangelog -S Version)
src=$work/libflyteauth-$version

start=$(date +%s)
rm -rf "$work" "$out"
mkdir -p "$src" "$out"

# The source tree as a fresh checkout would have it, with local changes.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard \
        | while IFS= read -r -d '' f; do if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi; done \
        | tar --null -T - -cf - | tar -C "$src" -xf -
else
    tar --exclude=./.build --exclude=./.build-dist --exclude=./build --exclude=__pycache__ \
        -cf - . | tar -C "$src" -xf -
fi
# Package.resolved pins the Swift dependencies (ignored by git, needed for the same build).
[ -f Package.resolved ] && cp Package.resolved "$src/"

echo "deb: building in $src"
log=$out/build.log
if ! (cd "$src" && dpkg-buildpackage -b -us -uc) >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "deb: dpkg-buildpackage failed; full log in $log, build tree in $src" >&2
    exit 1
fi
build_end=$(date +%s)

changes=$(ls "$work"/*.changes)
cp "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/
changes=$out/$(basename "$changes")

# lintian: errors and warnings fail; info tags are shown, overrides counted.
echo "deb: lintian $(basename "$changes")"
# The verdict comes from the E:/W: lines, not lintian's exit status: Debian 12's lintian
# (2.116) counts an overridden warning as a failure when --show-overrides shows it.
set +e
lintian --fail-on none --display-info --show-overrides "$changes" > "$out/lintian.txt" 2>&1
lint=$?
set -e
if [ "$lint" -eq 0 ] && grep -q '^[EW]: ' "$out/lintian.txt"; then lint=1; fi
# Overridden tags (O:) and their reasons (N:) are in build/deb/lintian.txt.
grep -v -e '^[ON]: ' -e 'running with root privileges' "$out/lintian.txt" || true
end=$(date +%s)
if [ "$lint" -ne 0 ]; then
    echo "deb: lintian failed (see $out/lintian.txt)" >&2
    exit 1
fi
[ -n "${KEEP:-}" ] || rm -rf "$work"

echo
for deb in "$out"/*.deb; do
    printf '  %-48s %8s KiB\n' "$(basename "$deb")" "$(( $(stat -c %s "$deb") / 1024 ))"
done
errors=$(grep -c '^E: ' "$out/lintian.txt" || true)
warnings=$(grep -c '^W: ' "$out/lintian.txt" || true)
overridden=$(grep -c '^O: ' "$out/lintian.txt" || true)
echo "deb: OK in $((end - start)) s (build $((build_end - start)) s, lintian $((end - build_end)) s); lintian: $errors errors, $warnings warnings, $overridden overridden"
echo "deb: packages in build/deb/ (make deb-install-test installs and tests them)"
