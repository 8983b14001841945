#!/usr/bin/env bash
# Benchmark of `phs-check collect` (issue 2): reads every user of the slapd test directory's
# two bases (scripts/test-directory.sh; default 2,000 and 20,000 AD-shaped users) with paging,
# and compares time and peak memory with the baseline
#   ldapsearch -E pr=500/noprompt ... > /dev/null    (OpenLDAP's own client, same pages)
# run in the same invocation. Peak RSS not growing with the user count shows the streaming.
#
#   Benchmarks/collect.sh          (starts slapd if it is not running, stops it if it started it)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

scripts/install-deps.sh
if ! scripts/test-directory.sh status | grep -q 'running: .*slapd'; then
    scripts/test-directory.sh start slapd
    trap 'scripts/test-directory.sh stop' EXIT
fi
eval "$(scripts/test-directory.sh env)"
swift build -c release --product phs-check >&2
BIN="$(swift build -c release --show-bin-path)/phs-check"
PASSWORD="$PHS_TEST_SLAPD_PASSWORD_FILE"

measure() { # label, command... → "seconds peakKiB"
    local out; out=$(mktemp)
    /usr/bin/time -f '%e %M' -o "$out" "$@" > /dev/null
    cat "$out"; rm -f "$out"
}

printf '%-8s %-8s %10s %12s %10s %12s %10s %10s\n' base users "ldapsearch" "ldapsearch" "phs-check" "phs-check" "time" "memory"
printf '%-8s %-8s %10s %12s %10s %12s %10s %10s\n' "" "" "s" "peak KiB" "s" "peak KiB" "ratio" "ratio"
for size in SMALL LARGE; do
    base_var=PHS_TEST_SLAPD_${size}_BASE_DN; users_var=PHS_TEST_SLAPD_${size}_USERS
    base=${!base_var}; users=${!users_var}
    read -r lt lm < <(measure ldapsearch -LLL -x -H "$PHS_TEST_SLAPD_URL" -D "CN=admin,$base" -y <(tr -d '\n' < "$PASSWORD") \
        -b "$base" -E pr=500/noprompt '(&(objectCategory=person)(objectClass=user))' \
        distinguishedName sAMAccountName userPrincipalName objectGUID mS-DS-ConsistencyGuid objectSid pwdLastSet \
        userAccountControl accountExpires msDS-User-Account-Control-Computed whenChanged uSNChanged adminDescription replPropertyMetaData)
    read -r pt pm < <(measure "$BIN" collect --quiet --ldap-url "$PHS_TEST_SLAPD_URL" --allow-cleartext-bind --bind-dn "CN=admin,$base" \
        --bind-password-file "$PASSWORD" --base-dn "$base" --page-size 500)
    printf '%-8s %-8s %10s %12s %10s %12s %10s %10s\n' "${size,,}" "$users" "$lt" "$lm" "$pt" "$pm" \
        "$(awk -v a="$pt" -v b="$lt" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" \
        "$(awk -v a="$pm" -v b="$lm" 'BEGIN { printf "%.2f", a / b }')"
done
echo "ratios: phs-check / ldapsearch (baseline), same directory, same page size, same attributes" >&2
