#!/usr/bin/env python3
"""Writes the Graph users export a tenant in sync with a snapshot would give: every user of
the snapshot, anchored to its objectGUID, its cloud password time 30 s after pwdLastSet, and
1 user in 100 a day behind (password-not-synced). The benchmark's `check` rows read it.

    cloud-from-snapshot.py SNAPSHOT OUT_JSON
"""
import json, sys
from datetime import datetime, timedelta

snapshot, out = sys.argv[1], sys.argv[2]
with open(snapshot) as f, open(out, "w") as o:
    o.write('{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users","value":[\n')
    first = True
    n = 0
    for line in f:
        u = json.loads(line)
        if "kind" in u:
            continue  # headers and closing lines
        pwd = u.get("pwdLastSet")
        when = None
        if pwd:
            t = datetime.fromisoformat(pwd.replace("Z", "+00:00"))
            t = t - timedelta(days=1) if n % 100 == 50 else t + timedelta(seconds=30)
            when = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        o.write(("" if first else ",") + json.dumps({
            "id": f"00000000-0000-4000-8000-{n:012d}", "userPrincipalName": u.get("userPrincipalName") or f"{u['samAccountName']}@bench.example",
            "accountEnabled": u["enabled"], "lastPasswordChangeDateTime": when,
            "onPremisesImmutableId": u.get("objectGUIDBase64"), "onPremisesSyncEnabled": True,
            "onPremisesSecurityIdentifier": u.get("objectSid"), "onPremisesSamAccountName": u["samAccountName"],
            "onPremisesDistinguishedName": u["distinguishedName"]}) + "\n")
        first = False
        n += 1
    o.write("]}\n")
