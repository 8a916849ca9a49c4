#!/usr/bin/env bash
# Builds the fuzz binary: Sources/FlyteAuthCore and Fuzz/*.swift compiled as one module
# with libFuzzer and ASan (swiftc -sanitize=fuzzer,address), into .build-fuzz/.
# One binary for every target keeps the build to one compile (FUZZ_TARGET selects).
# Rebuilds only when a source is newer than the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/opt/swift/usr/bin
out=.build-fuzz/flyteauth-fuzz
mkdir -p .build-fuzz
mapfile -t sources < <(find Sources/FlyteAuthCore Fuzz -name '*.swift' | sort)
if [ -x "$out" ] && [ -z "$(find "${sources[@]}" Fuzz/build.sh -newer "$out" | head -1)" ]; then
    exit 0
fi
start=$SECONDS
# -O: libFuzzer needs speed and Swift keeps its overflow and bounds traps at -O.
# The C modules (CCrypto, CYAML) are system-library module maps; link their libraries.
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -swift-version 6 -use-ld=lld \
    -module-name FlyteAuthCore -module-cache-path .build-fuzz/module-cache \
    -I Sources/CCrypto -I Sources/CYAML \
    "${sources[@]}" -lcrypto -lyaml -o "$out.tmp"
mv "$out.tmp" "$out"
echo "fuzz: built $out in $((SECONDS - start)) s"
