#!/usr/bin/env bash
# Benchmark of the gzip decoder of compressed exports (Sources/CloudExport/Gzip.swift and
# Inflate.swift) against `gzip -dc`: the same file, in the same invocation, both writing to
# /dev/null; the best of RUNS runs each. It first checks that the decoder's output is the file.
# For reference it also prints zlib's speed (python3's zlib.decompress, in memory, no output
# written), the C inflate most tools use.
#
#   Benchmarks/gunzip.sh [USERS]           (default 300000: a Graph users export of ~200 MiB)
#   Benchmarks/gunzip.sh FILE.gz...        (your own files)
#
# For the generated export it measures gzip -1, -6 (gzip's default) and -9, and 64 MiB of
# random bytes (stored blocks). Environment: RUNS (default 3); WORK=DIR keeps the build and
# the files there between runs (else a temporary directory, removed at the end).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUNS="${RUNS:-3}"
if [ -n "${WORK:-}" ]; then
    mkdir -p "$WORK"
else
    WORK="$(mktemp -d /tmp/gunzip-bench.XXXXXX)"
    trap 'rm -rf "$WORK"' EXIT
fi

# --- build: a small package around the CloudExport sources and Benchmarks/Gunzip ------------
PKG="$WORK/pkg"
mkdir -p "$PKG/Sources"
ln -sfn "$ROOT/Sources/SyncAudit" "$PKG/Sources/SyncAudit"
ln -sfn "$ROOT/Sources/CloudExport" "$PKG/Sources/CloudExport"
ln -sfn "$ROOT/Benchmarks/Gunzip" "$PKG/Sources/gunzip"
cat > "$PKG/Package.swift" <<'SWIFT'
// swift-tools-version: 6.1
import PackageDescription
let package = Package(
    name: "gunzip-bench",
    targets: [
        .target(name: "SyncAudit"),
        // -enable-testing: the decoder is internal to CloudExport; the benchmark reaches it
        // with @testable import. It does not change the optimisation (-O).
        .target(name: "CloudExport", dependencies: ["SyncAudit"], swiftSettings: [.unsafeFlags(["-enable-testing"])]),
        .executableTarget(name: "gunzip", dependencies: ["CloudExport"]),
    ]
)
for target in package.targets {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("InternalImportsByDefault"),
        .enableUpcomingFeature("MemberImportVisibility"),
    ]
}
SWIFT
echo "building gunzip (release)..." >&2
swift build -c release --package-path "$PKG" --product gunzip >&2
BIN="$PKG/.build/release/gunzip"

# --- files -----------------------------------------------------------------------------------
files=()
if [ $# -gt 0 ] && [ -f "$1" ]; then
    files=("$@")
else
    USERS="${1:-300000}"
    if [ ! -s "$WORK/users.json" ] || [ "$(cat "$WORK/users.count" 2>/dev/null)" != "$USERS" ]; then
        echo "generating $USERS users..." >&2
        python3 "$ROOT/Benchmarks/generate.py" "$WORK" "$USERS" >&2
        rm -f "$WORK/snapshot.jsonl"
        echo "$USERS" > "$WORK/users.count"
        rm -f "$WORK"/users-*.json.gz
    fi
    for level in 1 6 9; do
        [ -s "$WORK/users-$level.json.gz" ] || gzip "-$level" -c "$WORK/users.json" > "$WORK/users-$level.json.gz"
        files+=("$WORK/users-$level.json.gz")
    done
    if [ ! -s "$WORK/random.bin.gz" ]; then
        head -c $((64 << 20)) /dev/urandom | gzip -6 -c > "$WORK/random.bin.gz"
    fi
    files+=("$WORK/random.bin.gz")
fi

# --- run -------------------------------------------------------------------------------------
# Wall time, and CPU time (user + system, from GNU time): on a busy machine the CPU time is the
# steadier measure, and the ratio is taken from it.
[ -x /usr/bin/time ] || { echo "installing time (Debian package)" >&2; apt-get install -y -qq time >/dev/null; }
best() { # command...: "wall cpu", each the best of RUNS runs, output to /dev/null
    local wall="" cpu="" w c
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -o "$WORK/time.out" -f "%e %U %S" "$@" > /dev/null 2>&1
        read -r w c < <(awk '{ print $1, $2 + $3 }' "$WORK/time.out")
        if [ -z "$wall" ] || awk -v a="$w" -v b="$wall" 'BEGIN { exit !(a < b) }'; then wall=$w; fi
        if [ -z "$cpu" ] || awk -v a="$c" -v b="$cpu" 'BEGIN { exit !(a < b) }'; then cpu=$c; fi
    done
    echo "$wall $cpu"
}
zlib() { # file: zlib's MiB/s (CPU time), the best of RUNS, or "-" without python3
    python3 - "$1" "$RUNS" <<'PY' 2>/dev/null || echo "-"
import sys, time, zlib
data, best = open(sys.argv[1], "rb").read(), float("inf")
for _ in range(int(sys.argv[2])):
    start = time.process_time()
    out = zlib.decompressobj(31).decompress(data)
    best = min(best, time.process_time() - start)
print(f"{len(out) / 1048576 / best:.1f}")
PY
}

printf '%-18s %7s %7s  %-27s  %-27s  %-10s  %s\n' "" "" "" "phs-check inflate" "gzip -dc" "zlib" ""
printf '%-18s %7s %7s  %-27s  %-27s  %-10s  %s\n' file "gz MiB" "out MiB" "wall s, cpu s, MiB/s (cpu)" "wall s, cpu s, MiB/s (cpu)" "MiB/s (cpu)" "ratio phs/gzip (cpu time)"
for f in "${files[@]}"; do
    # Correct first: the decoder's output is gzip's, byte for byte.
    if ! cmp -s <("$BIN" "$f" 2>/dev/null) <(gzip -dc "$f"); then
        echo "$f: the decoder's output differs from gzip -dc" >&2
        exit 1
    fi
    out=$(gzip -dc "$f" | wc -c)
    cat "$f" > /dev/null   # the page cache holds it for both
    read -r ow oc <<<"$(best "$BIN" "$f")"
    read -r gw gc <<<"$(best gzip -dc "$f")"
    reference=$(zlib "$f")
    awk -v name="$(basename "$f")" -v gz="$(stat -c %s "$f")" -v out="$out" -v ow="$ow" -v oc="$oc" -v gw="$gw" -v gc="$gc" -v z="$reference" 'BEGIN {
        mib = out / 1048576
        if (oc <= 0) oc = 0.01
        if (gc <= 0) gc = 0.01
        printf "%-18s %7.1f %7.1f  %6.2f %6.2f %8.1f      %6.2f %6.2f %8.1f      %-10s  %.2f\n",
            name, gz / 1048576, mib, ow, oc, mib / oc, gw, gc, mib / gc, z, oc / gc
    }'
done
