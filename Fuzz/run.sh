#!/usr/bin/env bash
# Runs the libFuzzer targets: each for FUZZ_SECONDS (default 300), or `--smoke` for a
# few seconds each (make test). Optional target names restrict the run.
# Every target starts from its seed corpus (Fuzz/corpus/<target>, read only) plus what
# earlier runs found (.build-fuzz/corpus/<target>); a crash, leak, timeout or
# out-of-memory input is saved as .build-fuzz/crashes/<target>-* and fails the run.
# Per-target figures (runs, cov, ft, seconds) go to .build-fuzz/summary.tsv.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
seconds=${FUZZ_SECONDS:-300}
if [ "${1:-}" = "--smoke" ]; then seconds=${FUZZ_SMOKE_SECONDS:-2}; shift; fi
bash Fuzz/build.sh || exit 1
bin=.build-fuzz/flyteauth-fuzz
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(ls Fuzz/corpus)
mkdir -p .build-fuzz/logs .build-fuzz/crashes
# Private keys are made here, not committed: one of each form the key target reads.
keys=.build-fuzz/corpus/private-key-pem
if [ ! -f "$keys/gen-rsa-pkcs1" ]; then
    mkdir -p "$keys"
    openssl genrsa -traditional -out "$keys/gen-rsa-pkcs1" 2048 2>/dev/null
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$keys/gen-rsa-pkcs8" 2>/dev/null
    openssl ecparam -name prime256v1 -genkey -noout -out "$keys/gen-ec-sec1" 2>/dev/null
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes256 -pass pass:x -out "$keys/gen-ec-encrypted" 2>/dev/null
fi
summary=.build-fuzz/summary.tsv
printf 'target\truns\tcov\tft\tseconds\tresult\n' > "$summary"
failed=()
for t in "${targets[@]}"; do
    [ -d "Fuzz/corpus/$t" ] || { echo "fuzz: no target $t (Fuzz/corpus/$t)" >&2; failed+=("$t"); continue; }
    mkdir -p ".build-fuzz/corpus/$t"
    log=.build-fuzz/logs/$t.log
    start=$SECONDS
    # -timeout: one input taking 10 s is a hang. -rss_limit_mb: a parser that balloons
    # on a small input is a denial of service. detect_leaks=0: the Swift runtime keeps
    # allocations for the life of the process (docs/build-notes.md).
    FUZZ_TARGET=$t ASAN_OPTIONS=detect_leaks=0:${ASAN_OPTIONS:-} "$bin" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
        -artifact_prefix=".build-fuzz/crashes/$t-" ".build-fuzz/corpus/$t" "Fuzz/corpus/$t" > "$log" 2>&1
    rc=$?
    elapsed=$((SECONDS - start))
    runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    result=ok
    if [ $rc -ne 0 ]; then result="FAILED (exit $rc, see $log)"; failed+=("$t"); fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "${runs:-?}" "${cov:-?}" "${ft:-?}" "$elapsed" "$result" >> "$summary"
    printf 'fuzz %-18s runs %9s  cov %5s  ft %6s  %4d s  %s\n' "$t" "${runs:-?}" "${cov:-?}" "${ft:-?}" "$elapsed" "$result"
    [ $rc -eq 0 ] || grep -E 'ERROR|SUMMARY|Fatal|property failed|Test unit written' "$log" | head -5
done
if [ ${#failed[@]} -gt 0 ]; then echo "fuzz: FAILED: ${failed[*]}"; exit 1; fi
echo "fuzz: ${#targets[@]} targets, no crash"
