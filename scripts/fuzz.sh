#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (address sanitizer too) and runs each for a bounded time.
#
#   scripts/fuzz.sh [SECONDS-PER-TARGET] [TARGET...]     (default 60 s, every target)
#
# Per target it first replays every reproducer in Fuzz/Regressions/<target>/, then fuzzes from
# the seeds in Fuzz/Corpus/<target>/ (read only) plus the corpus earlier runs grew in
# Fuzz/Work/<target>/ (git-ignored). It prints executions, coverage (libFuzzer's cov: and ft:
# of the last stats line) and time per target, and copies every crash, timeout or
# out-of-memory input to Fuzz/Regressions/<target>/, which is kept in git: the test suites
# replay it (Tests/*/FuzzRegressionTests.swift) once the bug is fixed.
# Exits 1 when a target crashed (or a reproducer still crashes), 2 when the build fails.
#
# It installs nothing: the Swift toolchain for Linux ships libFuzzer and the sanitizer runtimes;
# the ActiveDirectory target links libldap like phs-check does (scripts/install-deps.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz="$root/Fuzz"
seconds="${1:-60}"
(($#)) && shift
all=(FuzzGraphJSON FuzzMgCSV FuzzMsolCSV FuzzCloudExport FuzzTenantFacts FuzzGzip FuzzSnapshot FuzzConfig FuzzADDecoders)
if (($#)); then targets=("$@"); else targets=("${all[@]}"); fi
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS-PER-TARGET] [TARGET...]" >&2; exit 2; }
for t in "${targets[@]}"; do
    [[ " ${all[*]} " == *" $t "* ]] || { echo "fuzz.sh: no target $t (targets: ${all[*]})" >&2; exit 2; }
done

# What the build needs, checked rather than installed.
swiftc_path="$(command -v swiftc || true)"
[[ -n "$swiftc_path" ]] || { echo "fuzz.sh: swiftc not found; install the Swift toolchain" >&2; exit 2; }
toolchain="$(cd "$(dirname "$(readlink -f "$swiftc_path")")/.." && pwd)"
if ! compgen -G "$toolchain/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a" >/dev/null \
    && ! compgen -G "$toolchain/lib/swift/clang/lib/linux/libclang_rt.fuzzer-*.a" >/dev/null; then
    echo "fuzz.sh: this Swift toolchain has no libFuzzer (libclang_rt.fuzzer); use a swift.org toolchain" >&2
    exit 2
fi
pkg-config --exists ldap 2>/dev/null || { echo "fuzz.sh: libldap-dev is missing (scripts/install-deps.sh)" >&2; exit 2; }

# The same dependency versions as the project: its Package.resolved pins them.
if [[ ! -f "$fuzz/Package.resolved" && -f "$root/Package.resolved" ]]; then
    cp "$root/Package.resolved" "$fuzz/Package.resolved"
fi

echo "== building the fuzz targets (release, -sanitize=fuzzer,address)"
mkdir -p "$fuzz/Work"
set +e
swift build --package-path "$fuzz" --scratch-path "$fuzz/.build" -c release \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing \
    >"$fuzz/Work/build.log" 2>&1
built=$?
set -e
# gold's warning about an ASan symbol comes with every link and means nothing here.
grep -v "Cannot export local symbol '__asan_extra_spill_area'" "$fuzz/Work/build.log" | grep -v '^\[' || true
((built == 0)) || { echo "fuzz.sh: the build failed (Fuzz/Work/build.log)" >&2; exit 2; }
bin="$(swift build --package-path "$fuzz" --scratch-path "$fuzz/.build" -c release --show-bin-path)"

# libFuzzer reports a trap itself; Swift's backtracer would only slow each crash down.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}abort_on_error=0:symbolize=1"

failed=0
summary=()
for t in "${targets[@]}"; do
    work="$fuzz/Work/$t"
    artifacts="$work/artifacts"
    regressions="$fuzz/Regressions/$t"
    mkdir -p "$work/corpus" "$artifacts" "$regressions"
    log="$work/fuzz.log"

    # Every kept reproducer must now pass (run once each, no fuzzing).
    kept=()
    for f in "$regressions"/*; do [[ -f "$f" && "$(basename "$f")" != .gitkeep ]] && kept+=("$f"); done
    replay="ok"
    if ((${#kept[@]})); then
        if ! "$bin/$t" -timeout=10 -rss_limit_mb=2048 "${kept[@]}" >"$work/replay.log" 2>&1; then
            replay="FAILS (see $work/replay.log)"
            failed=1
        fi
    fi

    echo "== $t: ${seconds}s (regressions: ${#kept[@]} $replay)"
    rm -f "$artifacts"/*
    start=$(date +%s)
    set +e
    "$bin/$t" "$work/corpus" "$fuzz/Corpus/$t" \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" >"$log" 2>&1
    status=$?
    set -e
    elapsed=$(( $(date +%s) - start ))

    last="$(grep -E '^#[0-9]+' "$log" | tail -1 || true)"
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    [[ -n "$execs" ]] || execs="$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")"
    cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
    ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
    corp="$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")"

    result="ok"
    [[ "$replay" == ok ]] || result="a kept reproducer still fails ($work/replay.log)"
    shopt -s nullglob
    found=("$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/oom-* "$artifacts"/leak-*)
    shopt -u nullglob
    if ((${#found[@]})) || ((status != 0)); then
        failed=1
        result="CRASH (exit $status; log $log)$([[ "$replay" == ok ]] || echo "; a kept reproducer still fails")"
        for f in "${found[@]}"; do
            cp "$f" "$regressions/"
            result+=$'\n'"    reproducer: ${regressions#"$root"/}/$(basename "$f")"
        done
        grep -m1 -E "Fatal error|ERROR: (AddressSanitizer|libFuzzer)" "$log" | sed 's/^/    /' || true
    fi
    line="$(printf '%-16s execs %-9s cov %-6s ft %-6s corpus %-12s %4ss  %s' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$elapsed" "$result")"
    echo "$line"
    summary+=("$line")
done

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
exit "$failed"
