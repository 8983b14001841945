#!/usr/bin/env python3
"""Generates the benchmark data: a phs-check snapshot (docs/FORMATS.md "Snapshot") and a
Microsoft Graph users export (`{"value": [...]}` as Graph pages it) of the same users.

    generate.py OUT_DIR USERS [--cloud-users N] [--out-of-sync PERCENT] [--unclaimed-synced PERCENT]

USERS directory users; the cloud export holds the same users (their immutable IDs are the
base64 of their objectGUIDs, their SIDs the same), or, with --cloud-users larger than USERS,
those plus cloud users no directory user claims (the "wrong search base" case): each is a
synced account (onPremisesSyncEnabled true, an orphaned-cloud-user finding), or, past
--unclaimed-synced PERCENT of them (default 100), a cloud-only one (no finding). --out-of-sync
PERCENT of the matched users have a cloud password time a day older than pwdLastSet:
password-not-synced.
Lines are written as `collect` and Graph write them, so their sizes are real (about 700 bytes).
"""
import argparse, base64, time, uuid

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("users", type=int)
ap.add_argument("--cloud-users", type=int)
ap.add_argument("--out-of-sync", type=float, default=1.0)
ap.add_argument("--unclaimed-synced", type=float, default=100.0)
a = ap.parse_args()
cloud_users = a.cloud_users if a.cloud_users is not None else a.users
every = round(100 / a.out_of_sync) if a.out_of_sync > 0 else 0
every_synced = round(100 / a.unclaimed_synced) if a.unclaimed_synced > 0 else 0
EPOCH = 1_700_000_000  # 2023-11-14T22:13:20Z; the benchmark compares --as-of 2023-11-16


def iso(s):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(s))


with open(f"{a.out}/snapshot.jsonl", "w") as snap, open(f"{a.out}/users.json", "w") as cloud:
    snap.write('{"baseDN":"DC=bench,DC=example","collectedAt":"2023-11-16T00:00:00Z","kind":"phs-check/ad-snapshot",'
               '"server":"ldaps://dc1.bench.example","version":2}\n')
    cloud.write('{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users(id,userPrincipalName,accountEnabled,'
                'lastPasswordChangeDateTime,onPremisesImmutableId,onPremisesSyncEnabled,onPremisesLastSyncDateTime,'
                'onPremisesSecurityIdentifier,onPremisesSamAccountName,onPremisesUserPrincipalName,'
                'onPremisesDistinguishedName,onPremisesDomainName)","value":[\n')
    for i in range(max(a.users, cloud_users)):
        g = uuid.UUID(int=(0xBEEF << 112) | i)
        b64 = base64.b64encode(g.bytes_le).decode()
        t = EPOCH - (i * 7919) % (300 * 86400)
        name = f"user{i:07d}"
        dn = f"CN={name},OU=People,OU=Site{i % 50:02d},DC=bench,DC=example"
        sid = f"S-1-5-21-3623811015-3361044348-30300820-{1000 + i}"
        if i < a.users:
            raw = t * 10_000_000 + 116444736000000000
            snap.write(
                f'{{"accountExpires":null,"adminDescription":null,"consistencyGuid":null,"distinguishedName":"{dn}",'
                f'"enabled":true,"flags":["NORMAL_ACCOUNT","DONT_EXPIRE_PASSWORD"],"lockedOut":false,'
                f'"mustChangePassword":false,"objectGUID":"{g}","objectGUIDBase64":"{b64}","objectSid":"{sid}",'
                f'"passwordExpired":false,"pwdLastSet":"{iso(t)}","pwdLastSetRaw":"{raw}","samAccountName":"{name}",'
                f'"uSNChanged":{20000 + i},"unicodePwdLastChanged":"{iso(t)}","userAccountControl":66048,'
                f'"userPrincipalName":"{name}@bench.example","whenChanged":"{iso(t)}"}}\n')
        behind = every and i % every == every // 2
        synced = i < a.users or (every_synced and i % every_synced == 0)
        cloud.write(("," if i else "") +
            f'{{"id":"{uuid.UUID(int=(0xC10D << 112) | i)}","userPrincipalName":"{name}@bench.example","accountEnabled":true,'
            f'"lastPasswordChangeDateTime":"{iso(t - 86400 if behind else t + 30)}","onPremisesImmutableId":"{b64}",'
            f'"onPremisesSyncEnabled":{"true" if synced else "null"},"onPremisesLastSyncDateTime":"2023-11-15T23:40:00Z",'
            f'"onPremisesSecurityIdentifier":"{sid}","onPremisesSamAccountName":"{name}",'
            f'"onPremisesUserPrincipalName":"{name}@bench.example","onPremisesDistinguishedName":"{dn}",'
            f'"onPremisesDomainName":"bench.example"}}\n')
    cloud.write("]}\n")
    snap.write(f'{{"kind":"phs-check/ad-snapshot-end","users":{a.users}}}\n')
