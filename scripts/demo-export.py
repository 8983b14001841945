#!/usr/bin/env python3
"""Writes the demo's cloud export: Graph /users JSON for the test DC's OU=Staff users, built
from a phs-check snapshot (their real objectGUIDs, SIDs and password times), as Entra ID would
hold them if password hash sync had delivered some changes and not others.

Usage: demo-export.py SNAPSHOT.jsonl > users.json
"""
import datetime
import json
import sys
import uuid


def parse(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def iso(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    lines = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    users = []
    for u in lines[1:]:
        if "kind" in u:
            break  # the snapshot's closing line
        name = u["samAccountName"]
        changed = parse(u["pwdLastSet"]) or parse(u["unicodePwdLastChanged"])
        password = parse(u["unicodePwdLastChanged"])
        cloud_time = changed + datetime.timedelta(seconds=20)  # PHS delivered it 20 s later
        if name == "erin.newpw":
            cloud_time = password - datetime.timedelta(days=30)  # the reset never arrived
        if name == "dave.zeroneg":
            cloud_time = password + datetime.timedelta(seconds=1)  # only pwdLastSet moved since
        users.append({
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
            "userPrincipalName": u["userPrincipalName"],
            "accountEnabled": True,  # bob.disabled is still enabled in the cloud
            "lastPasswordChangeDateTime": iso(cloud_time),
            "onPremisesImmutableId": u["consistencyGuid"] or u["objectGUIDBase64"],
            "onPremisesSyncEnabled": True,
            "onPremisesSecurityIdentifier": u["objectSid"],
            "onPremisesSamAccountName": name,
            "onPremisesUserPrincipalName": u["userPrincipalName"],
            "onPremisesDistinguishedName": u["distinguishedName"],
        })
    # A synced cloud account whose on-premises user was deleted.
    users.append({
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "henry.deleted")),
        "userPrincipalName": "henry.deleted@phs.test", "accountEnabled": True,
        "lastPasswordChangeDateTime": iso(datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=90)),
        "onPremisesImmutableId": "3q2+796tvu/erb7v3q2+7w==", "onPremisesSyncEnabled": True,
        "onPremisesSamAccountName": "henry.deleted",
        "onPremisesDistinguishedName": "CN=henry.deleted,OU=Staff,DC=phs,DC=test",
    })
    json.dump({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(id,userPrincipalName,accountEnabled,lastPasswordChangeDateTime,onPremisesImmutableId,onPremisesSyncEnabled,onPremisesSecurityIdentifier,onPremisesSamAccountName,onPremisesUserPrincipalName,onPremisesDistinguishedName)",
               "value": users}, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
