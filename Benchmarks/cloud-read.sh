#!/usr/bin/env bash
# Benchmark of the cloud export reader (issue 3): generates a 1,000,000-user Graph /users
# export (999-user pages saved one after another, each but the last with @odata.nextLink,
# as `GET /users?$select=...&$top=999` returns them), reads it with CloudExport, and
# compares time and peak memory with the baseline `jq -c '.value[]' FILE > /dev/null`.
#
#   Benchmarks/cloud-read.sh [USERS]        (default 1000000)
#
# Environment: WORK=DIR puts the generated file and the release build there (kept between
# runs; the file is removed at the end unless KEEP=1); without WORK a temporary directory is
# used and removed.
set -euo pipefail

USERS="${1:-1000000}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [ -n "${WORK:-}" ]; then
    mkdir -p "$WORK"
    [ "${KEEP:-0}" = 1 ] || trap 'rm -f "$WORK/users.json" "$WORK/users.count"' EXIT
else
    WORK="$(mktemp -d /tmp/cloud-read-bench.XXXXXX)"
    [ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT
fi

need() { command -v "$1" >/dev/null 2>&1; }
if ! need jq || [ ! -x /usr/bin/time ]; then
    echo "installing jq and time (Debian packages)" >&2
    apt-get install -y -qq jq time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq jq time >/dev/null; }
fi

# --- build: a small package around the CloudExport sources and Benchmarks/CloudRead -----
PKG="$WORK/pkg"
mkdir -p "$PKG/Sources"
ln -sfn "$ROOT/Sources/SyncAudit" "$PKG/Sources/SyncAudit"
ln -sfn "$ROOT/Sources/CloudExport" "$PKG/Sources/CloudExport"
ln -sfn "$ROOT/Benchmarks/CloudRead" "$PKG/Sources/cloud-read"
cat > "$PKG/Package.swift" <<'SWIFT'
// swift-tools-version: 6.1
import PackageDescription
let package = Package(
    name: "cloud-read-bench",
    targets: [
        .target(name: "SyncAudit"),
        .target(name: "CloudExport", dependencies: ["SyncAudit"]),
        .executableTarget(name: "cloud-read", dependencies: ["CloudExport", "SyncAudit"]),
    ]
)
for target in package.targets {
    target.swiftSettings = [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("InternalImportsByDefault"),
        .enableUpcomingFeature("MemberImportVisibility"),
    ]
}
SWIFT
echo "building cloud-read (release)..." >&2
swift build -c release --package-path "$PKG" --product cloud-read >&2
BIN="$PKG/.build/release/cloud-read"

# --- generate ------------------------------------------------------------------------------
FILE="$WORK/users.json"
if [ ! -s "$FILE" ] || [ "$(cat "$WORK/users.count" 2>/dev/null)" != "$USERS" ]; then
    echo "generating $USERS users..." >&2
    python3 - "$USERS" "$FILE" <<'PY'
import base64, sys
users, path = int(sys.argv[1]), sys.argv[2]
page = 999
sel = ("id,userPrincipalName,displayName,mail,accountEnabled,lastPasswordChangeDateTime,onPremisesImmutableId,"
       "onPremisesSyncEnabled,onPremisesLastSyncDateTime,onPremisesSecurityIdentifier,onPremisesSamAccountName,"
       "onPremisesUserPrincipalName,onPremisesDistinguishedName,onPremisesDomainName,passwordPolicies,"
       "onPremisesProvisioningErrors")
ctx = "https://graph.microsoft.com/v1.0/$metadata#users(" + sel + ")"
with open(path, "w", encoding="utf-8", buffering=1 << 22) as f:
    for start in range(0, users, page):
        end = min(start + page, users)
        parts = []
        for i in range(start, end):
            b = i.to_bytes(16, "little")
            guid = f"{i:08x}-{(i * 7) & 0xffff:04x}-4{(i * 13) & 0xfff:03x}-a{(i * 17) & 0xfff:03x}-{(i * 2654435761) & 0xffffffffffff:012x}"
            imm = base64.b64encode(b).decode()
            day = 1 + i % 28
            month = 1 + i % 12
            synced = i % 10 != 0
            name = f"user{i:07d}"
            errors = ('[{"category":"PropertyConflict","occurredDateTime":"2024-05-01T10:00:00Z",'
                      '"propertyCausingError":"ProxyAddresses","value":"smtp:' + name + '@contoso.com"}]') if i % 1000 == 0 else "[]"
            onprem = (f'"onPremisesImmutableId":"{imm}","onPremisesSyncEnabled":true,'
                      f'"onPremisesLastSyncDateTime":"2024-{month:02d}-{day:02d}T{i % 24:02d}:{i % 60:02d}:00Z",'
                      f'"onPremisesSecurityIdentifier":"S-1-5-21-3623811015-3361044348-30300820-{1000 + i}",'
                      f'"onPremisesSamAccountName":"{name}","onPremisesUserPrincipalName":"{name}@corp.contoso.com",'
                      f'"onPremisesDistinguishedName":"CN=User {i:07d},OU=Staff,OU=Amsterdam,DC=corp,DC=contoso,DC=com",'
                      f'"onPremisesDomainName":"corp.contoso.com"') if synced else (
                      '"onPremisesImmutableId":null,"onPremisesSyncEnabled":null,"onPremisesLastSyncDateTime":null,'
                      '"onPremisesSecurityIdentifier":null,"onPremisesSamAccountName":null,"onPremisesUserPrincipalName":null,'
                      '"onPremisesDistinguishedName":null,"onPremisesDomainName":null')
            parts.append(
                f'{{"id":"{guid}","userPrincipalName":"{name}@contoso.com","displayName":"User {i:07d}",'
                f'"mail":"{name}@contoso.com","accountEnabled":{"true" if i % 50 else "false"},'
                f'"lastPasswordChangeDateTime":"2024-{month:02d}-{day:02d}T{(i // 7) % 24:02d}:{(i // 3) % 60:02d}:{i % 60:02d}Z",'
                f'{onprem},"passwordPolicies":{"null" if i % 3 else chr(34) + "DisablePasswordExpiration" + chr(34)},'
                f'"onPremisesProvisioningErrors":{errors}}}')
        head = '{"@odata.context":"' + ctx + '",'
        if end < users:
            head += f'"@odata.nextLink":"https://graph.microsoft.com/v1.0/users?$select={sel}&$top={page}&$skiptoken=RFNwdAIAAQAAAB{end:012d}",'
        f.write(head + '"value":[' + ",".join(parts) + "]}\n")
PY
    echo "$USERS" > "$WORK/users.count"
fi
SIZE=$(stat -c %s "$FILE")

# --- run ------------------------------------------------------------------------------------
measure() { # output file, command...: prints "seconds peak_kib" of the command
    local out
    out=$( { /usr/bin/time -f "%e %M" "${@:2}" > "$1"; } 2>&1 | tail -n 1)
    echo "$out"
}
cat "$FILE" > /dev/null   # warm the page cache for both readers alike

read -r CT CM <<<"$(measure "$WORK/cloud-read.out" "$BIN" "$FILE")"
read -r AT AM <<<"$(measure /dev/null "$BIN" "$FILE" --all)"
read -r JT JM <<<"$(measure /dev/null jq -c '.value[]' "$FILE")"
cat "$WORK/cloud-read.out" >&2

awk -v users="$USERS" -v size="$SIZE" -v ct="$CT" -v cm="$CM" -v at="$AT" -v am="$AM" -v jt="$JT" -v jm="$JM" 'BEGIN {
    mb = size / 1048576
    printf "file:       %d users, %.0f MiB (Graph /users pages, %d users a page)\n", users, mb, 999
    printf "cloud-read (CloudExport): %6.2f s  %7.1f MiB/s  peak RSS %7.1f MiB\n", ct, mb / ct, cm / 1024
    printf "baseline jq -c .value[] > /dev/null: %6.2f s  %7.1f MiB/s  peak RSS %7.1f MiB\n", jt, mb / jt, jm / 1024
    printf "ratio cloud-read / jq: time %.2f, peak RSS %.3f\n", ct / jt, cm / jm
    printf "peak RSS / file size: %.4f\n", (cm * 1024) / size
    printf "for reference, every user kept in memory (readAll): %6.2f s  peak RSS %7.1f MiB\n", at, am / 1024
}'
