#!/usr/bin/env bash
# Every performance row of the README in one command: generates the data, runs each row with
# its baseline in the same invocation, and prints one table of times, peak memory and ratios,
# with the machine described. Release build.
#
#   Benchmarks/run.sh            (about 10 minutes on 2 cores; needs root for the Samba DC)
#
# Rows and their baselines:
#   compare 1M            phs-check compare --format json of a 1,000,000-user snapshot and Graph
#                         export (1% out of sync), against Benchmarks/baseline_join.py: the join
#                         an admin would script in Python (dict on the anchor, compare the two
#                         password times), once with the standard json module, once with orjson.
#   1M findings           1,000 directory users against 1,000,000 synced cloud users (a wrong
#                         search base: 999,000 orphaned-cloud-user findings), as json, csv and
#                         table; baseline: the same run with 1% findings (the unclaimed cloud
#                         users cloud-only but 1 in 100). Peak memory ratio: reports stream.
#   HTML 100k findings    compare --format html of 100,000 users all out of sync: bytes per
#                         finding, and Chromium (headless) loading it and running its script,
#                         against Chromium loading an empty page.
#   collect 10k / 100k    phs-check collect from a private slapd (Benchmarks' own, port 3390),
#                         against ldapsearch -E pr=500/noprompt of the same attributes to
#                         /dev/null; peak memory of 100k against 10k.
#   check 100k (slapd)    phs-check check live of the 100k base against an export made from its
#                         snapshot (Benchmarks/cloud-from-snapshot.py), against the larger of
#                         that ldapsearch and compare alone (the same snapshot and export).
#   check 5k (Samba)      phs-check check over LDAPS of a private Samba AD DC with 5,000 bulk
#                         users, against ldapsearch of the same users over LDAPS. Skipped (said
#                         so in the table) when the test directory's DC holds the ports.
#
# Environment: USERS (default 1000000) for the first rows; WORK=DIR keeps the data there; KEEP=1
# keeps it afterwards.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
USERS=${USERS:-1000000}
if [ -n "${WORK:-}" ]; then mkdir -p "$WORK"; else WORK=$(mktemp -d /tmp/phs-check-bench.XXXXXX); fi
export PHS_TEST_DIR="$WORK/directory" PHS_TEST_SLAPD_PORT=3390 PHS_TEST_SLAPD_SIZES="10000 100000" PHS_TEST_DC_BULK=5000
cleanup() {
    scripts/test-directory.sh stop > /dev/null 2>&1 || true
    [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

scripts/install-deps.sh > /dev/null
python3 -c 'import orjson' 2> /dev/null || python3 -m pip install -q --target "$WORK/python" orjson
export PYTHONPATH="$WORK/python${PYTHONPATH:+:$PYTHONPATH}"
swift build -c release --product phs-check >&2
BIN="$(swift build -c release --show-bin-path)/phs-check"
PY="python3 $ROOT/Benchmarks"
AS_OF=2023-11-16T00:00:00Z

ROWS=()
# measure COMMAND... → "seconds peakKiB" of the best of $RUNS runs (default 1)
measure() {
    local out best="" bestm="" t m i
    out=$(mktemp)
    for ((i = 0; i < ${RUNS:-1}; i++)); do
        /usr/bin/time -f '%e %M' -o "$out" "$@" > /dev/null 2> "$out.err" || { cat "$out.err" >&2; rm -f "$out" "$out.err"; return 1; }
        read -r t m < "$out"
        if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; bestm=$m; fi
    done
    rm -f "$out" "$out.err"
    echo "$best $bestm"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'; }
met() { awk -v r="$1" -v t="$2" 'BEGIN { print (r <= t ? "yes" : "**no**") }'; }
# row WORK PHS_TIME PHS_MEM BASELINE BASE_TIME BASE_MEM TIME_RATIO MEM_RATIO TARGET MET
row() { ROWS+=("| $1 | $2 | $3 | $4 | $5 | $6 | $7 | $8 | $9 | ${10} |"); echo "  $1: $2 s vs $5 s ($4)" >&2; }

echo "== compare, $USERS users" >&2
mkdir -p "$WORK/1m" "$WORK/scope" "$WORK/scope1" "$WORK/html"
[ -s "$WORK/1m/users.json" ] || $PY/generate.py "$WORK/1m" "$USERS"
read -r st sm < <(measure python3 Benchmarks/baseline_join.py "$WORK/1m/snapshot.jsonl" "$WORK/1m/users.json" "$AS_OF")
read -r ot om < <(measure python3 Benchmarks/baseline_join.py --orjson "$WORK/1m/snapshot.jsonl" "$WORK/1m/users.json" "$AS_OF")
read -r pt pm < <(measure "$BIN" compare --quiet --snapshot "$WORK/1m/snapshot.jsonl" --cloud "$WORK/1m/users.json" \
    --as-of "$AS_OF" --format json --fail-on never)
row "compare $USERS, json" "$pt" "$(mib "$pm")" "Python json dict join" "$st" "$(mib "$sm")" "$(ratio "$pt" "$st")" \
    "$(ratio "$pm" "$sm")" "time ≤ 0.25, memory ≤ 0.5" "$(met "$(ratio "$pt" "$st")" 0.25) / $(met "$(ratio "$pm" "$sm")" 0.5)"
row "compare $USERS, json" "$pt" "$(mib "$pm")" "Python orjson dict join" "$ot" "$(mib "$om")" "$(ratio "$pt" "$ot")" \
    "$(ratio "$pm" "$om")" "time ≤ 0.35" "$(met "$(ratio "$pt" "$ot")" 0.35)"

echo "== 1,000 directory users against $USERS cloud users" >&2
[ -s "$WORK/scope/users.json" ] || $PY/generate.py "$WORK/scope" 1000 --cloud-users "$USERS"
[ -s "$WORK/scope1/users.json" ] || $PY/generate.py "$WORK/scope1" 1000 --cloud-users "$USERS" --unclaimed-synced 1
for format in json csv table; do
    read -r bt bm < <(measure "$BIN" compare --quiet --snapshot "$WORK/scope1/snapshot.jsonl" --cloud "$WORK/scope1/users.json" \
        --as-of "$AS_OF" --format "$format" --fail-on never)
    read -r ft fm < <(measure "$BIN" compare --quiet --snapshot "$WORK/scope/snapshot.jsonl" --cloud "$WORK/scope/users.json" \
        --as-of "$AS_OF" --format "$format" --fail-on never)
    row "1M findings, $format" "$ft" "$(mib "$fm")" "the same run, 1% findings" "$bt" "$(mib "$bm")" "$(ratio "$ft" "$bt")" \
        "$(ratio "$fm" "$bm")" "memory ≤ 1.2" "$(met "$(ratio "$fm" "$bm")" 1.2)"
done

echo "== HTML report, 100,000 findings" >&2
[ -s "$WORK/html/users.json" ] || $PY/generate.py "$WORK/html" 100000 --out-of-sync 100
read -r ht hm < <(measure "$BIN" compare --quiet --snapshot "$WORK/html/snapshot.jsonl" --cloud "$WORK/html/users.json" \
    --as-of "$AS_OF" --format html --output "$WORK/html/report.html" --fail-on never)
printf '<!doctype html><title>empty</title>' > "$WORK/html/empty.html"
CHROME=(chromium --headless --disable-gpu --no-sandbox --no-first-run --disable-extensions --user-data-dir="$WORK/html/profile" --dump-dom)
read -r et em < <(RUNS=3 measure "${CHROME[@]}" "file://$WORK/html/empty.html")
read -r ct cm < <(RUNS=3 measure "${CHROME[@]}" "file://$WORK/html/report.html")
bytes=$(stat -c %s "$WORK/html/report.html")
load=$(awk -v a="$ct" -v b="$et" 'BEGIN { printf "%.2f", a - b }')
row "HTML 100,000 findings: Chromium load + script" "$ct" "$(mib "$cm")" "Chromium, empty page" "$et" "$(mib "$em")" \
    "+$load s" "" "≤ 3 s" "$(met "$ct" 3)"
row "HTML 100,000 findings: size" "$(( bytes / 100000 )) B/finding" "$(( bytes >> 20 )) MiB" "" "" "" "" "" "≤ 300 B" \
    "$(met "$(( bytes / 100000 ))" 300)"

echo "== slapd: collect and check" >&2
scripts/test-directory.sh start slapd >&2
eval "$(scripts/test-directory.sh env)"
PW="$PHS_TEST_SLAPD_PASSWORD_FILE"
tr -d '\n' < "$PW" > "$WORK/slapd-password"  # ldapsearch -y sends the file whole
ATTRS=(distinguishedName sAMAccountName userPrincipalName objectGUID mS-DS-ConsistencyGuid objectSid pwdLastSet
       userAccountControl accountExpires msDS-User-Account-Control-Computed whenChanged uSNChanged adminDescription replPropertyMetaData)
ldapsearch_slapd() { LDAPSEARCH=(ldapsearch -LLL -x -H "$PHS_TEST_SLAPD_URL" -D "CN=admin,$1" -y "$WORK/slapd-password" -b "$1"
    -E pr=500/noprompt '(&(objectCategory=person)(objectClass=user))' "${ATTRS[@]}"); }
slapd_opts() { echo --ldap-url "$PHS_TEST_SLAPD_URL" --allow-cleartext-bind --bind-dn "CN=admin,$1" --bind-password-file "$PW" \
    --base-dn "$1" --page-size 500; }
declare -A PEAK
for size in SMALL LARGE; do
    base_var=PHS_TEST_SLAPD_${size}_BASE_DN; users_var=PHS_TEST_SLAPD_${size}_USERS
    base=${!base_var}; users=${!users_var}
    ldapsearch_slapd "$base"
    read -r lt lm < <(RUNS=3 measure "${LDAPSEARCH[@]}")
    # shellcheck disable=SC2046
    read -r ct cm < <(RUNS=3 measure "$BIN" collect --quiet $(slapd_opts "$base"))
    PEAK[$size]=$cm
    row "collect $users (slapd)" "$ct" "$(mib "$cm")" "ldapsearch -E pr=500" "$lt" "$(mib "$lm")" "$(ratio "$ct" "$lt")" \
        "$(ratio "$cm" "$lm")" "time ≤ 1.2, peak < 64 MiB" "$(met "$(ratio "$ct" "$lt")" 1.2) / $(met "$cm" 65536)"
done
row "collect: peak 100k / 10k" "" "" "" "" "" "" "$(ratio "${PEAK[LARGE]}" "${PEAK[SMALL]}")" "< 1.5" \
    "$(met "$(ratio "${PEAK[LARGE]}" "${PEAK[SMALL]}")" 1.49)"
base=$PHS_TEST_SLAPD_LARGE_BASE_DN
# shellcheck disable=SC2046
"$BIN" collect --quiet $(slapd_opts "$base") --output "$WORK/large.jsonl"
$PY/cloud-from-snapshot.py "$WORK/large.jsonl" "$WORK/large-cloud.json"
ldapsearch_slapd "$base"
read -r lt lm < <(RUNS=3 measure "${LDAPSEARCH[@]}")
read -r mt mm < <(RUNS=3 measure "$BIN" compare --quiet --snapshot "$WORK/large.jsonl" --cloud "$WORK/large-cloud.json" --format json --fail-on never)
# shellcheck disable=SC2046
read -r kt km < <(RUNS=3 measure "$BIN" check --quiet $(slapd_opts "$base") --cloud "$WORK/large-cloud.json" --format json --fail-on never)
larger=$(awk -v a="$lt" -v b="$mt" 'BEGIN { print (a > b ? a : b) }')
row "check $PHS_TEST_SLAPD_LARGE_USERS live (slapd)" "$kt" "$(mib "$km")" "max(ldapsearch $lt s, compare $mt s)" "$larger" "" \
    "$(ratio "$kt" "$larger")" "" "≤ 1.1" "$(met "$(ratio "$kt" "$larger")" 1.1)"

echo "== Samba AD DC: check" >&2
if ss -ltn 2> /dev/null | grep -q '127.0.0.1:636 '; then
    row "check 5,000 live (Samba)" "skipped" "" "port 636 is taken (the test directory's DC?): stop it and run again" "" "" "" "" "≤ 1.3" ""
else
    scripts/test-directory.sh start samba >&2
    eval "$(scripts/test-directory.sh env)"
    export LDAPTLS_CACERT="$PHS_TEST_DC_CA_FILE"
    dc_opts=(--ldap-url "$PHS_TEST_DC_URL" --ca-file "$PHS_TEST_DC_CA_FILE" --bind-dn "$PHS_TEST_DC_BIND_DN"
             --bind-password-file "$PHS_TEST_DC_PASSWORD_FILE" --base-dn "$PHS_TEST_DC_BASE_DN")
    "$BIN" collect --quiet "${dc_opts[@]}" --output "$WORK/samba.jsonl"
    $PY/cloud-from-snapshot.py "$WORK/samba.jsonl" "$WORK/samba-cloud.json"
    users=$(grep -c objectGUID "$WORK/samba.jsonl")
    tr -d '\n' < "$PHS_TEST_DC_PASSWORD_FILE" > "$WORK/samba-password"
    read -r lt lm < <(RUNS=3 measure ldapsearch -LLL -x -H "$PHS_TEST_DC_URL" -D "$PHS_TEST_DC_BIND_DN" -y "$WORK/samba-password" \
        -b "$PHS_TEST_DC_BASE_DN" -E pr=1000/noprompt '(&(objectCategory=person)(objectClass=user))' "${ATTRS[@]}")
    read -r kt km < <(RUNS=3 measure "$BIN" check --quiet "${dc_opts[@]}" --cloud "$WORK/samba-cloud.json" --format json --fail-on never)
    row "check $users live (Samba, LDAPS)" "$kt" "$(mib "$km")" "ldapsearch, LDAPS" "$lt" "$(mib "$lm")" "$(ratio "$kt" "$lt")" \
        "$(ratio "$km" "$lm")" "≤ 1.3" "$(met "$(ratio "$kt" "$lt")" 1.3)"
fi

cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
echo
echo "Machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(. /etc/os-release; echo "$PRETTY_NAME"); $(swift --version 2>&1 | head -1 | sed 's/ (.*//'), release build; $(python3 --version), orjson $(python3 -c 'import orjson; print(orjson.__version__)'). $(date -u +%Y-%m-%d)."
echo
echo "| work | phs-check s | phs-check peak | baseline | baseline s | baseline peak | time ratio | memory ratio | target | met |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
