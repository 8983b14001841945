#!/usr/bin/env bash
# Benchmark of `phs-check export-cloud`: reads every user of an Entra tenant from Microsoft
# Graph and writes them to a JSON Lines file. Graph is the project's emulator
# (scripts/graph-emulator.py --generate N: users made page by page, 999 a page, over HTTPS on
# 127.0.0.1). Time and peak memory are compared with the baseline run in the same invocation
# against the same emulator:
#   a curl loop in bash: one client_credentials token, then
#   GET /v1.0/users?$select=<the 14 properties phs-check selects>&$top=999 and each
#   @odata.nextLink (found with grep -o) until a page has none, every page appended to a file.
# Both spend most of their time waiting for the emulator (Python, one page at a time), so the
# time ratio is close to 1 unless phs-check adds work of its own. phs-check also reads the
# tenant's state (organization v1.0 and beta, Cloud Sync service principals: a few small
# requests) and keeps one connection; the loop opens one per page (curl a page).
# export-cloud also runs on N/5 users: a peak RSS that does not grow with the user count shows
# the streaming.
#
#   Benchmarks/export-cloud.sh [USERS]        (default 100000; the second run has USERS/5)
#
# Environment: PHS_CHECK_BIN=PATH uses that binary instead of building phs-check in release.
set -euo pipefail

USERS="${1:-100000}"
SMALL=$((USERS / 5))
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

scripts/install-deps.sh
if [ -n "${PHS_CHECK_BIN:-}" ]; then
    BIN="$PHS_CHECK_BIN"
else
    swift build -c release --product phs-check >&2
    BIN="$(swift build -c release --show-bin-path)/phs-check"
fi

T="$(mktemp -d /tmp/export-cloud-bench.XXXXXX)"
EMULATOR_PIDS=()
cleanup() {
    for pid in "${EMULATOR_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT

TENANT=11111111-1111-1111-1111-111111111111
CLIENT=22222222-2222-2222-2222-222222222222
(umask 077; printf '%s' 'bench~secret.1' > "$T/secret")
SELECT=id,userPrincipalName,accountEnabled,lastPasswordChangeDateTime,onPremisesImmutableId,onPremisesSyncEnabled,onPremisesLastSyncDateTime,onPremisesSecurityIdentifier,onPremisesSamAccountName,onPremisesUserPrincipalName,onPremisesDistinguishedName,onPremisesDomainName,passwordPolicies,onPremisesProvisioningErrors

# start_emulator USERS: serves that many generated users on a free port; sets URL. Killed at
# exit; it also stops by itself when this script's end of its standard input (a fifo) closes.
start_emulator() {
    local n=$1 fifo="$T/lifeline.$1" out="$T/emulator.$1.out" pid fd
    mkfifo "$fifo"
    /usr/bin/python3 scripts/graph-emulator.py --make-cert "$T/certs" --port 0 --generate "$n" \
        --tenant-id "$TENANT" --client-id "$CLIENT" --client-secret "$(cat "$T/secret")" \
        --stdin-lifeline < "$fifo" > "$out" 2> "$T/emulator.$1.err" &
    pid=$!
    EMULATOR_PIDS+=("$pid")
    exec {fd}> "$fifo"
    for _ in $(seq 300); do
        grep -q '^PORT ' "$out" && break
        kill -0 "$pid" 2>/dev/null || { cat "$T/emulator.$1.err" >&2; echo "the emulator did not start" >&2; exit 1; }
        sleep 0.1
    done
    URL="https://127.0.0.1:$(awk '/^PORT /{print $2; exit}' "$out")"
    [ "$URL" != "https://127.0.0.1:" ] || { echo "the emulator printed no PORT line" >&2; exit 1; }
}
CA="$T/certs/ca.pem"

measure() { # command... → SECS, KIB: GNU time's wall seconds and peak RSS of the command
    /usr/bin/time -f '%e %M' -o "$T/time" "$@" > /dev/null 2> "$T/stderr" \
        || { cat "$T/stderr" "$T/time" >&2; echo "failed: $*" >&2; exit 1; }
    read -r SECS KIB < "$T/time"
}

export_cloud() { # users: measures export-cloud against the emulator at URL, checks the file
    measure "$BIN" export-cloud --output "$T/export.jsonl" --tenant-id "$TENANT" --client-id "$CLIENT" \
        --client-secret-file "$T/secret" --graph-url "$URL" --login-url "$URL" --graph-ca-file "$CA" --quiet
    local lines; lines=$(wc -l < "$T/export.jsonl")
    [ "$lines" -eq $(($1 + 2)) ] || { echo "export-cloud wrote $lines lines, not $(($1 + 2))" >&2; exit 1; }
    rm -f "$T/export.jsonl"
}

# The baseline, run as `bash -c LOOP _ URL TENANT CLIENT SECRETFILE CA OUT PAGE SELECT`.
LOOP='set -euo pipefail
url=$1 tenant=$2 client=$3 secret=$4 ca=$5 out=$6 page=$7 select=$8
token=$(curl --cacert "$ca" -sS -f "$url/$tenant/oauth2/v2.0/token" -d grant_type=client_credentials \
    --data-urlencode "client_id=$client" --data-urlencode "client_secret@$secret" \
    --data-urlencode scope=https://graph.microsoft.com/.default)
token=${token#*\"access_token\":\"}; token=${token%%\"*}
next="$url/v1.0/users?\$select=$select&\$top=999"
: > "$out"
while [ -n "$next" ]; do
    curl --cacert "$ca" -sS -f -g -H "Authorization: Bearer $token" -o "$page" "$next"
    cat "$page" >> "$out"
    next=$(grep -o "\"@odata.nextLink\":\"[^\"]*\"" "$page" || true)
    next=${next#\"@odata.nextLink\":\"}; next=${next%\"}
done'

start_emulator "$USERS"
measure bash -c "$LOOP" _ "$URL" "$TENANT" "$CLIENT" "$T/secret" "$CA" "$T/curl.json" "$T/page.json" "$SELECT"
CT=$SECS CM=$KIB
got=$(grep -o '"userPrincipalName":' "$T/curl.json" | wc -l)
[ "$got" -eq "$USERS" ] || { echo "the curl loop got $got users, not $USERS" >&2; exit 1; }
rm -f "$T/curl.json"
export_cloud "$USERS"
PT=$SECS PM=$KIB

start_emulator "$SMALL"
export_cloud "$SMALL"
ST=$SECS SM=$KIB

awk -v n="$USERS" -v s="$SMALL" -v ct="$CT" -v cm="$CM" -v pt="$PT" -v pm="$PM" -v st="$ST" -v sm="$SM" 'BEGIN {
    printf "%-28s %8s %9s %14s\n", "tool", "users", "seconds", "peak RSS MiB"
    printf "%-28s %8d %9.2f %14.1f\n", "curl loop (baseline)", n, ct, cm / 1024
    printf "%-28s %8d %9.2f %14.1f\n", "phs-check export-cloud", n, pt, pm / 1024
    printf "%-28s %8d %9.2f %14.1f\n", "phs-check export-cloud", s, st, sm / 1024
    printf "phs-check / curl loop at %d users: time %.2f, peak RSS %.2f\n", n, pt / ct, pm / cm
    printf "phs-check peak RSS at %d / at %d users: %.2f\n", n, s, pm / sm
}'
echo "binary: $BIN"
echo "curl loop: @odata.nextLink extracted with grep -o (a process a page); its peak RSS is GNU time's for" \
     "bash -c, the largest of bash and the children it waited for (getrusage RUSAGE_CHILDREN), so the" \
     "largest single curl, grep or cat, not their sum"
