#!/usr/bin/env python3
"""Writes LDIF for slapadd: BASE_DN, an OU and COUNT AD-shaped users (scripts/slapd/ad-lite.schema).

Deterministic: user i gets the same objectGUID, objectSid and times on every run. Passwords were
last set at historic times spread over the past year, with replPropertyMetaData to match, as a
real DC would hold them. Usage: generate-users.py BASE_DN COUNT
"""
import base64
import struct
import sys
import uuid

FILETIME_UNIX_EPOCH = 116444736000000000
NOW = 1_764_000_000  # a fixed "now" (2025-11-24) keeps the output reproducible


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def sid(rid: int) -> bytes:
    subs = [21, 1004336348, 1177238915, 682003330, rid]
    return struct.pack("<BB", 1, len(subs)) + (5).to_bytes(6, "big") + struct.pack("<" + "I" * len(subs), *subs)


def metadata(entries) -> bytes:
    blob = struct.pack("<IIII", 1, 0, len(entries), 0)
    for attid, version, seconds_since_1601, usn in entries:
        blob += struct.pack("<IIQ16sqq", attid, version, seconds_since_1601, b"\x11" * 16, usn, usn)
    return blob


def main() -> None:
    base, count = sys.argv[1], int(sys.argv[2])
    dc = base.split(",")[0].split("=")[1]
    out = sys.stdout
    out.write(f"dn: {base}\nobjectClass: dcObject\nobjectClass: organization\ndc: {dc}\no: {dc}\n\n")
    out.write(f"dn: OU=People,{base}\nobjectClass: organizationalUnit\nou: People\n\n")
    for i in range(1, count + 1):
        name = f"user{i:06d}"
        guid = uuid.UUID(int=(0x5EED << 112) | i)
        changed = NOW - (i * 7919) % (365 * 86400)
        pwd_last_set = (changed * 10_000_000) + FILETIME_UNIX_EPOCH
        since_1601 = changed + FILETIME_UNIX_EPOCH // 10_000_000
        uac = 514 if i % 10 == 0 else 512
        out.write(
            f"dn: CN={name},OU=People,{base}\n"
            "objectClass: user\n"
            f"cn: {name}\nsn: {name}\n"
            f"sAMAccountName: {name}\n"
            f"userPrincipalName: {name}@{dc}.test\n"
            "objectCategory: person\n"
            f"objectGUID:: {b64(guid.bytes_le)}\n"
            f"objectSid:: {b64(sid(1000 + i))}\n"
            f"pwdLastSet: {pwd_last_set}\n"
            f"userAccountControl: {uac}\n"
            "accountExpires: 9223372036854775807\n"
            f"uSNChanged: {10000 + i}\n"
            "whenChanged: 20251124000000.0Z\n"
            f"replPropertyMetaData:: {b64(metadata([(0x9005A, 1, since_1601, 5000 + i), (0x90060, 1, since_1601, 5000 + i)]))}\n"
            "\n"
        )


if __name__ == "__main__":
    main()
