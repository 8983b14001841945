#!/usr/bin/env bash
# Benchmark of the comparison (`phs-check compare`, issue 4): generates a snapshot of USERS
# directory users and a Graph export of the same users (90% in sync, 10% behind), then times
# `phs-check compare --format json` against the baseline named below, in the same invocation:
#   baseline: python3 reading both files and joining them on the anchor in a dict, no rules,
#             no report — the least any comparison must do.
# Prints time and peak RSS of both and their ratios.
#
#   Benchmarks/compare.sh [USERS]     (default 200000)
set -euo pipefail
USERS=${1:-200000}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK=$(mktemp -d /tmp/compare-bench.XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"
[ -x /usr/bin/time ] || scripts/install-deps.sh
swift build -c release --product phs-check >&2
BIN="$(swift build -c release --show-bin-path)/phs-check"

/usr/bin/python3 - "$USERS" "$WORK" <<'PY'
import base64, json, sys, uuid
n, work = int(sys.argv[1]), sys.argv[2]
epoch = 1_700_000_000
with open(f"{work}/snapshot.jsonl", "w") as snap, open(f"{work}/users.json", "w") as cloud:
    snap.write(json.dumps({"kind": "phs-check/ad-snapshot", "version": 2, "collectedAt": "2023-11-15T00:00:00Z",
                           "server": "ldaps://dc1.bench.example", "baseDN": "DC=bench,DC=example"}) + "\n")
    cloud.write('{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users","value":[\n')
    for i in range(n):
        g = uuid.UUID(int=(0xBEEF << 112) | i)
        b64 = base64.b64encode(g.bytes_le).decode()
        t = epoch - (i * 7919) % (300 * 86400)
        iso = lambda s: __import__("time").strftime("%Y-%m-%dT%H:%M:%SZ", __import__("time").gmtime(s))
        raw = (t * 10_000_000) + 116444736000000000
        name = f"user{i:07d}"
        snap.write(json.dumps({"distinguishedName": f"CN={name},OU=People,DC=bench,DC=example", "samAccountName": name,
            "userPrincipalName": f"{name}@bench.example", "objectGUID": str(g), "objectGUIDBase64": b64, "consistencyGuid": None,
            "objectSid": f"S-1-5-21-1-2-3-{1000 + i}", "pwdLastSet": iso(t), "pwdLastSetRaw": str(raw), "mustChangePassword": False,
            "userAccountControl": 512, "flags": ["NORMAL_ACCOUNT"], "enabled": True, "accountExpires": None, "lockedOut": False,
            "whenChanged": iso(t), "uSNChanged": i, "adminDescription": None, "unicodePwdLastChanged": iso(t)}) + "\n")
        behind = i % 10 == 0
        cloud.write(("," if i else "") + json.dumps({"id": str(uuid.UUID(int=i)), "userPrincipalName": f"{name}@bench.example",
            "accountEnabled": True, "lastPasswordChangeDateTime": iso(t - 86400 if behind else t + 30),
            "onPremisesImmutableId": b64, "onPremisesSyncEnabled": True, "onPremisesSecurityIdentifier": f"S-1-5-21-1-2-3-{1000 + i}",
            "onPremisesSamAccountName": name}) + "\n")
    cloud.write("]}\n")
    snap.write(json.dumps({"kind": "phs-check/ad-snapshot-end", "users": n}) + "\n")
PY

cat > "$WORK/baseline.py" <<'PY'
import json, sys
snap, cloud = sys.argv[1], sys.argv[2]
directory = {}
with open(snap) as f:
    next(f)
    for line in f:
        u = json.loads(line)
        if "kind" in u:
            break  # the closing line
        directory[u["objectGUIDBase64"]] = u
matched = sum(1 for c in json.load(open(cloud))["value"] if c.get("onPremisesImmutableId") in directory)
print(matched)
PY

measure() { local out; out=$(mktemp); /usr/bin/time -f '%e %M' -o "$out" "$@" > /dev/null || true; cat "$out"; rm -f "$out"; }
read -r bt bm < <(measure /usr/bin/python3 "$WORK/baseline.py" "$WORK/snapshot.jsonl" "$WORK/users.json")
read -r pt pm < <(measure "$BIN" compare --quiet --snapshot "$WORK/snapshot.jsonl" --cloud "$WORK/users.json" --format json --as-of 2023-11-16T00:00:00Z --fail-on never)
printf '%s users (%s MiB snapshot, %s MiB export)\n' "$USERS" "$(( $(stat -c %s "$WORK/snapshot.jsonl") >> 20 ))" "$(( $(stat -c %s "$WORK/users.json") >> 20 ))"
printf '%-44s %8s s %10s KiB\n' "baseline: python3 dict join, no rules" "$bt" "$bm"
printf '%-44s %8s s %10s KiB\n' "phs-check compare --format json" "$pt" "$pm"
printf 'ratio phs-check / baseline: time %s, peak memory %s\n' \
    "$(awk -v a="$pt" -v b="$bt" 'BEGIN { printf "%.2f", a / b }')" "$(awk -v a="$pm" -v b="$bm" 'BEGIN { printf "%.2f", a / b }')"
