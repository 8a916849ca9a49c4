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
# libcrypto and libyaml are loaded on first use (dlopen) by these C loaders, as in the library.
loaders=(Sources/CCrypto/crypto_loader.c Sources/CYAML/yaml_loader.c)
if [ -x "$out" ] && [ -z "$(find "${sources[@]}" "${loaders[@]}" Fuzz/build.sh -newer "$out" | head -1)" ]; then
    exit 0
fi
start=$SECONDS
# -O: libFuzzer needs speed and Swift keeps its overflow and bounds traps at -O.
# The C modules (CCrypto, CYAML) are the loader targets: compile them with ASan and the
# fuzzer's coverage, then link them into the Swift module's binary.
objects=()
for c in "${loaders[@]}"; do
    o=.build-fuzz/$(basename "$c" .c).o
    clang -fsanitize=fuzzer-no-link,address -O1 -g -fPIC -I "$(dirname "$c")/include" -c "$c" -o "$o"
    objects+=("$o")
done
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -swift-version 6 -use-ld=lld \
    -module-name FlyteAuthCore -module-cache-path .build-fuzz/module-cache \
    -I Sources/CCrypto/include -I Sources/CYAML/include \
    "${sources[@]}" "${objects[@]}" -ldl -o "$out.tmp"
mv "$out.tmp" "$out"
echo "fuzz: built $out in $((SECONDS - start)) s"
