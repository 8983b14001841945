#!/usr/bin/env bash
# Checks scripts/graph-emulator.py with openssl, curl and Debian's python3 (+ python3-cryptography
# to sign client assertions), no Swift: certificates made with openssl as the test provisioning
# makes them, a token with a client secret and with PS256 / RS256 client assertions (and the
# refusals: wrong secret, unknown app, tampered, replayed, expired, too long, wrong audience,
# unregistered certificate), two listings of /users followed through @odata.nextLink with a 429
# (its Retry-After in the request log), a 503 without Retry-After, a reset before and in the
# middle of a response, a malformed page, the 403 of onPremisesSynchronization, organization
# v1.0 and beta, the Cloud Sync service principal and its jobs, a 503 storm, a token that
# expires, and --generate against scripts/slapd/generate-users.py. Exits non-zero on any failure.
#
#   scripts/graph-emulator-selftest.sh        (KEEP=1 keeps the work folder)
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EMU=$ROOT/scripts/graph-emulator.py
PY=${PY:-/usr/bin/python3}  # Debian's, as the tests run it; PY=... tries another
T=$(mktemp -d /tmp/graph-emulator-selftest.XXXXXX)
PIDS=()
cleanup() {
    exec 3>&- 2>/dev/null || true
    exec 4>&- 2>/dev/null || true
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ "${KEEP:-0}" = 1 ] && echo "work folder: $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

for cmd in openssl curl "$PY"; do
    command -v "$cmd" >/dev/null || { echo "selftest: $cmd is missing" >&2; exit 2; }
done
"$PY" -c 'import cryptography' 2>/dev/null || { echo "selftest: python3-cryptography is missing (apt-get install -y python3-cryptography)" >&2; exit 2; }

PASS=0 FAIL=0
ok() { PASS=$((PASS + 1)); printf 'ok   %s\n' "$1"; }
bad() { FAIL=$((FAIL + 1)); printf 'FAIL %s\n' "$1"; [ -n "${2:-}" ] && printf '     %s\n' "$2"; }
check() { # description, then a command that must succeed
    local what=$1; shift
    if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what" "$(tail -c 600 "$T/last.body" 2>/dev/null)"; fi
}
# j FILE EXPR: evaluates a Python expression on the JSON in FILE (as j); prints it, fails on false
j() { "$PY" - "$1" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if not isinstance(v, (dict, list)) else json.dumps(v))
sys.exit(0 if v not in (False, None) else 1)
PY
}
is_json() { "$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$1"; }
not_json() { ! is_json "$1"; }

# req NAME URL [curl args...]: body in $T/NAME.body (and $T/last.body), headers in $T/NAME.hdr;
# sets status (000 when the connection failed) and CURL_EXIT
CURL_EXIT=0 status=000
req() {
    local name=$1 url=$2; shift 2
    : > "$T/$name.body"
    status=$(curl -sS --cacert "${CACERT:-$T/ca.pem}" -o "$T/$name.body" -D "$T/$name.hdr" -w '%{http_code}' "$@" "$url" 2>"$T/$name.err")
    CURL_EXIT=$?
    cp "$T/$name.body" "$T/last.body"
}
# checke DESCRIPTION CODE: like check, CODE evaluated in this shell (functions and variables)
checke() {
    if eval "$2" >/dev/null 2>&1; then ok "$1"; else bad "$1" "$(tail -c 600 "$T/last.body" 2>/dev/null)"; fi
}
header() { grep -i "^$2:" "$T/$1.hdr" | tail -1 | cut -d: -f2- | tr -d ' \r'; }

TENANT=11111111-1111-1111-1111-111111111111
APP=22222222-2222-2222-2222-222222222222
SHORT=33333333-3333-3333-3333-333333333333
SECRET='s3cret~value.1'
TEMPLATE=1a4721b3-e57f-4451-ae87-ef078703ec94
SCOPE='https%3A%2F%2Fgraph.microsoft.com%2F.default'

# --- certificates, as the test provisioning makes them ----------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca-key.pem" -out "$T/ca.pem" -days 2 -subj "/CN=selftest CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$T/server.ext"
openssl req -newkey rsa:2048 -nodes -keyout "$T/server-key.pem" -out "$T/server.csr" -subj /CN=127.0.0.1 2>/dev/null
openssl x509 -req -in "$T/server.csr" -CA "$T/ca.pem" -CAkey "$T/ca-key.pem" -CAcreateserial -out "$T/server.pem" \
    -days 2 -extfile "$T/server.ext" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/app-key.pem" -out "$T/app.pem" -days 2 -subj /CN=selftest-app 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/other-key.pem" -out "$T/other.pem" -days 2 -subj /CN=not-registered 2>/dev/null
check "openssl made the CA, server and app certificates" openssl verify -CAfile "$T/ca.pem" "$T/server.pem"

"$PY" "$EMU" --make-cert "$T/made" --no-serve > "$T/made.out" 2>&1
check "--make-cert prints the CA path" grep -qx "CA $T/made/ca.pem" "$T/made.out"
check "--make-cert: the server certificate verifies against its CA" openssl verify -CAfile "$T/made/ca.pem" "$T/made/server.pem"
check "--make-cert: the server certificate names 127.0.0.1 and localhost" \
    sh -c "openssl x509 -in '$T/made/server.pem' -noout -ext subjectAltName | grep -q 'IP Address:127.0.0.1' && openssl x509 -in '$T/made/server.pem' -noout -ext subjectAltName | grep -q 'DNS:localhost'"
check "--make-cert: an app certificate and key" test -s "$T/made/app.pem" -a -s "$T/made/app-key.pem"

# --- the scenario ---------------------------------------------------------------------------------
cat > "$T/scenario.json" <<EOF
{
  "tenantId": "$TENANT",
  "tenantAliases": ["selftest.onmicrosoft.com"],
  "apps": [
    {"clientId": "$APP", "secrets": ["$SECRET"], "certificates": ["app.pem"]},
    {"clientId": "$SHORT", "secrets": ["short"], "tokenLifetime": 2}
  ],
  "users": [
    {"id": "u1", "userPrincipalName": "alice@selftest.example", "displayName": "Alice", "accountEnabled": true,
     "lastPasswordChangeDateTime": "now-1h", "onPremisesImmutableId": "AAAAAAAAAAAAAAAAAAAAAQ==", "onPremisesSyncEnabled": true},
    {"id": "u2", "userPrincipalName": "bob@selftest.example", "displayName": "Bob"},
    {"id": "u3", "userPrincipalName": "carol@selftest.example", "displayName": "Carol"},
    {"id": "u4", "userPrincipalName": "dave@selftest.example", "displayName": "Dave"},
    {"id": "u5", "userPrincipalName": "erin@selftest.example", "displayName": "Erin"}
  ],
  "organization": {"displayName": "Selftest", "onPremisesSyncEnabled": true,
                   "onPremisesLastSyncDateTime": "now-20m", "onPremisesLastPasswordSyncDateTime": "now-2m"},
  "onPremisesSynchronization": {"features": {"passwordSyncEnabled": true}},
  "servicePrincipals": [
    {"id": "sp-cloud-sync", "displayName": "selftest.example", "applicationTemplateId": "$TEMPLATE", "jobs": [
      {"templateId": "AD2AADProvisioning", "schedule": {"state": "Active"},
       "status": {"code": "Active", "lastSuccessfulExecution": {"timeEnded": "now-5m"}}},
      {"templateId": "AD2AADPasswordHash", "schedule": {"state": "Active"},
       "status": {"code": "Quarantine", "countSuccessiveCompleteFailures": 7,
                  "quarantine": {"reason": "EncounteredQuarantineException"},
                  "lastExecution": {"state": "Failed", "timeEnded": "now-10m"},
                  "lastSuccessfulExecution": {"state": "Succeeded", "timeEnded": "now-3d"}}}]},
    {"id": "sp-other", "displayName": "Some app", "applicationTemplateId": null}
  ],
  "faults": [
    {"on": "users", "page": 2, "type": "throttle", "retryAfter": 1},
    {"on": "users", "page": 3, "type": "unavailable"},
    {"on": "users", "page": 2, "type": "reset", "at": "body", "rst": true},
    {"on": "users", "page": 4, "type": "reset"},
    {"on": "users", "page": 5, "type": "malformed"},
    {"on": "organization", "type": "storm", "startAfter": 3, "duration": 2, "retryAfter": 1}
  ]
}
EOF

# --- start it, standard input as its lifeline -------------------------------------------------
mkfifo "$T/life"
"$PY" "$EMU" --scenario "$T/scenario.json" --tls-cert "$T/server.pem" --tls-key "$T/server-key.pem" \
    --log "$T/requests.jsonl" --stdin-lifeline < "$T/life" > "$T/emu.out" 2> "$T/emu.err" &
EMU_PID=$!
PIDS+=("$EMU_PID")
exec 3> "$T/life"
for _ in $(seq 50); do grep -q '^PORT ' "$T/emu.out" 2>/dev/null && break; sleep 0.1; done
PORT=$(awk '/^PORT /{print $2; exit}' "$T/emu.out")
if [ -z "$PORT" ] || [ "$(head -1 "$T/emu.out" | cut -d' ' -f1)" != PORT ]; then
    echo "selftest: the emulator did not start:" >&2; cat "$T/emu.err" >&2; exit 1
fi
ok "the emulator prints PORT $PORT first"
BASE=https://127.0.0.1:$PORT
TOKEN_URL=$BASE/$TENANT/oauth2/v2.0/token

# --- token: client secret ---------------------------------------------------------------------------
req tok "$TOKEN_URL" --data-urlencode "client_id=$APP" --data-urlencode "client_secret=$SECRET" \
    -d "scope=$SCOPE&grant_type=client_credentials"
check "token with a client secret: 200" test "$status" = 200
check "token: token_type Bearer, expires_in 3599, an access_token" \
    j "$T/tok.body" 'j["token_type"] == "Bearer" and j["expires_in"] == 3599 and len(j["access_token"]) > 20'
AT=$(j "$T/tok.body" 'j["access_token"]')
AUTH=(-H "Authorization: Bearer $AT")

req basic "$BASE/selftest.onmicrosoft.com/oauth2/v2.0/token" -u "$APP:$SECRET" -d "scope=$SCOPE&grant_type=client_credentials"
check "token with HTTP Basic client authentication and a tenant alias: 200" test "$status" = 200

req badsecret "$TOKEN_URL" -d "client_id=$APP&client_secret=wrong&scope=$SCOPE&grant_type=client_credentials"
check "wrong client secret: 401" test "$status" = 401
check "wrong client secret: invalid_client AADSTS7000215 with Entra's fields" j "$T/badsecret.body" \
    'j["error"] == "invalid_client" and j["error_codes"] == [7000215] and j["error_description"].startswith("AADSTS7000215:") and all(k in j for k in ("timestamp", "trace_id", "correlation_id"))'
req noapp "$TOKEN_URL" -d "client_id=99999999-9999-9999-9999-999999999999&client_secret=x&scope=$SCOPE&grant_type=client_credentials"
check "unknown application: 400 unauthorized_client AADSTS700016" sh -c "[ $status = 400 ] && grep -q '\"error_codes\":\[700016\]' '$T/noapp.body' && grep -q unauthorized_client '$T/noapp.body'"
req nogrant "$TOKEN_URL" -d "client_id=$APP&client_secret=$SECRET&scope=$SCOPE"
check "missing grant_type: 400 AADSTS900144" sh -c "[ $status = 400 ] && grep -q 'AADSTS900144' '$T/nogrant.body'"
req nocred "$TOKEN_URL" -d "client_id=$APP&scope=$SCOPE&grant_type=client_credentials"
check "neither secret nor assertion: 401 AADSTS7000218" sh -c "[ $status = 401 ] && grep -q 'AADSTS7000218' '$T/nocred.body'"
req badscope "$TOKEN_URL" -d "client_id=$APP&client_secret=$SECRET&scope=https%3A%2F%2Fgraph.microsoft.us%2F.default&grant_type=client_credentials"
check "another cloud's scope: 400 invalid_scope AADSTS70011" sh -c "[ $status = 400 ] && grep -q 'invalid_scope' '$T/badscope.body' && grep -q 'AADSTS70011' '$T/badscope.body'"
req notenant "$BASE/00000000-0000-0000-0000-000000000000/oauth2/v2.0/token" -d "client_id=$APP&client_secret=$SECRET&scope=$SCOPE&grant_type=client_credentials"
check "unknown tenant: 400 AADSTS90002" sh -c "[ $status = 400 ] && grep -q 'AADSTS90002' '$T/notenant.body'"
req tokget "$TOKEN_URL"
check "GET on the token endpoint: 400 AADSTS900561" sh -c "[ $status = 400 ] && grep -q 'AADSTS900561' '$T/tokget.body'"

# --- /users, first listing: $top=2 -> page 1; page 2: 429, then a reset mid-body, then 200; page 3: 503 --
req p1 "$BASE/v1.0/users?\$select=id,userPrincipalName&\$top=2" "${AUTH[@]}"
check "users page 1: 200" test "$status" = 200
check "users page 1: @odata.context names the selection" j "$T/p1.body" 'j["@odata.context"] == "'"$BASE"'/v1.0/$metadata#users(id,userPrincipalName)"'
check "users page 1: 2 users with exactly the selected properties" j "$T/p1.body" 'len(j["value"]) == 2 and all(set(u) == {"id", "userPrincipalName"} for u in j["value"])'
check "users page 1: an absolute @odata.nextLink with \$skiptoken, \$select and \$top" j "$T/p1.body" \
    'j["@odata.nextLink"].startswith("'"$BASE"'/v1.0/users?") and "$skiptoken=" in j["@odata.nextLink"] and "$select=id,userPrincipalName" in j["@odata.nextLink"] and "$top=2" in j["@odata.nextLink"]'
NEXT=$(j "$T/p1.body" 'j["@odata.nextLink"]')
check "users page 1: Graph's content type" sh -c "grep -qi '^Content-Type: application/json;odata.metadata=minimal' '$T/p1.hdr'"

req p2a "$NEXT" "${AUTH[@]}"
check "users page 2, first try: 429" test "$status" = 429
check "users page 2, first try: Retry-After: 1" test "$(header p2a Retry-After)" = 1
check "users page 2, first try: Graph's error body" j "$T/p2a.body" '"code" in j["error"] and "request-id" in j["error"]["innerError"]'
check "request log: the 429 of page 2 with its Retry-After" "$PY" -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if any(l.get("status") == 429 and l.get("page") == 2 and l.get("retryAfter") == 1 and l.get("path") == "/v1.0/users" for l in lines) else 1)' "$T/requests.jsonl"
sleep 1
req p2b "$NEXT" "${AUTH[@]}"
checke "users page 2, second try: 200, then the connection is reset in the middle of the body" \
    '[ "$CURL_EXIT" != 0 ] && [ "$status" = 200 ] && [ -s "$T/p2b.body" ]'
check "users page 2, second try: the body is cut" not_json "$T/p2b.body"
req p2 "$NEXT" "${AUTH[@]}"
checke "users page 2, third try: 200 with 2 users and a nextLink" "[ $status = 200 ] && j '$T/p2.body' 'len(j[\"value\"]) == 2 and \"@odata.nextLink\" in j'"
NEXT=$(j "$T/p2.body" 'j["@odata.nextLink"]')
req p3a "$NEXT" "${AUTH[@]}"
check "users page 3, first try: 503 without Retry-After" sh -c "[ $status = 503 ] && ! grep -qi '^Retry-After:' '$T/p3a.hdr'"
req p3 "$NEXT" "${AUTH[@]}"
checke "users page 3 (last): 200, 1 user, no nextLink" "[ $status = 200 ] && j '$T/p3.body' 'len(j[\"value\"]) == 1 and \"@odata.nextLink\" not in j'"
check "first listing: the 5 users, each once" "$PY" -c '
import json, sys
ids = [u["id"] for f in sys.argv[1:] for u in json.load(open(f))["value"]]
sys.exit(0 if sorted(ids) == ["u1", "u2", "u3", "u4", "u5"] else 1)' "$T/p1.body" "$T/p2.body" "$T/p3.body"

# --- /users, second listing: $top=1 -> page 4 reset before the response, page 5 malformed ------------
req q1 "$BASE/v1.0/users?\$top=1" "${AUTH[@]}"
check "no \$select: Graph's default properties" j "$T/q1.body" \
    'set(j["value"][0]) == {"businessPhones", "displayName", "givenName", "id", "jobTitle", "mail", "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName"}'
NEXT=$(j "$T/q1.body" 'j["@odata.nextLink"]')
for n in 2 3; do
    req "q$n" "$NEXT" "${AUTH[@]}"
    check "second listing, page $n: 200" test "$status" = 200
    NEXT=$(j "$T/q$n.body" 'j["@odata.nextLink"]')
done
req q4a "$NEXT" "${AUTH[@]}"
check "second listing, page 4: the connection closes without a response" sh -c "[ $CURL_EXIT != 0 ] && [ $status = 000 ]"
req q4 "$NEXT" "${AUTH[@]}"
check "second listing, page 4 again: 200" test "$status" = 200
NEXT=$(j "$T/q4.body" 'j["@odata.nextLink"]')
req q5a "$NEXT" "${AUTH[@]}"
check "second listing, page 5: 200 with a body that is not JSON" sh -c "[ $status = 200 ] && ! '$PY' -c 'import json,sys; json.load(open(sys.argv[1]))' '$T/q5a.body'"
req q5 "$NEXT" "${AUTH[@]}"
checke "second listing, page 5 again: the last page, valid" "[ $status = 200 ] && j '$T/q5.body' 'len(j[\"value\"]) == 1 and \"@odata.nextLink\" not in j'"
check "request log: the resets and the malformed page" "$PY" -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
r = [l for l in lines if l.get("fault") == "reset"]
m = [l for l in lines if l.get("fault") == "malformed"]
sys.exit(0 if any(l["status"] is None for l in r) and any(l.get("truncated") for l in r) and m else 1)' "$T/requests.jsonl"

# --- /users refusals ---------------------------------------------------------------------------------
req top "$BASE/v1.0/users?\$top=1000" "${AUTH[@]}"
check "\$top=1000: 400" test "$status" = 400
req sel "$BASE/v1.0/users?\$select=id,nosuchproperty" "${AUTH[@]}"
check "\$select of an unknown property: 400" test "$status" = 400
req about "$BASE/v1.0/users?\$select=aboutMe" "${AUTH[@]}"
check "\$select of a single-user-only property: 501" test "$status" = 501
req noauth "$BASE/v1.0/users"
checke "no Authorization: 401 InvalidAuthenticationToken" "[ $status = 401 ] && j '$T/noauth.body' 'j[\"error\"][\"code\"] == \"InvalidAuthenticationToken\"' && grep -qi '^WWW-Authenticate: Bearer' '$T/noauth.hdr'"
req bogus "$BASE/v1.0/users" -H "Authorization: Bearer not-a-token"
check "an unknown token: 401" test "$status" = 401
req forged "$BASE/v1.0/users?\$skiptoken=AAAA" "${AUTH[@]}"
check "a forged \$skiptoken: 400" test "$status" = 400

# --- tenant reads --------------------------------------------------------------------------------------
req ods "$BASE/v1.0/directory/onPremisesSynchronization" "${AUTH[@]}"
checke "onPremisesSynchronization with an app-only token: 403 Authorization_RequestDenied" \
    "[ $status = 403 ] && j '$T/ods.body' 'j[\"error\"][\"code\"] == \"Authorization_RequestDenied\"'"
req org "$BASE/v1.0/organization" "${AUTH[@]}"
checke "organization v1.0: onPremisesSyncEnabled and onPremisesLastSyncDateTime, no onPremisesLastPasswordSyncDateTime" \
    "[ $status = 200 ] && j '$T/org.body' 'j[\"value\"][0][\"onPremisesSyncEnabled\"] is True and j[\"value\"][0][\"onPremisesLastSyncDateTime\"].endswith(\"Z\") and \"onPremisesLastPasswordSyncDateTime\" not in j[\"value\"][0]'"
req orgb "$BASE/beta/organization?\$select=onPremisesLastPasswordSyncDateTime,onPremisesSyncEnabled" "${AUTH[@]}"
checke "organization beta: onPremisesLastPasswordSyncDateTime, 2 minutes ago" "[ $status = 200 ] && j '$T/orgb.body' '
__import__(\"calendar\").timegm(__import__(\"time\").strptime(j[\"value\"][0][\"onPremisesLastPasswordSyncDateTime\"], \"%Y-%m-%dT%H:%M:%SZ\")) > __import__(\"time\").time() - 180'"
req orgs "$BASE/v1.0/organization?\$select=onPremisesLastPasswordSyncDateTime" "${AUTH[@]}"
check "organization v1.0 \$select=onPremisesLastPasswordSyncDateTime: 400 (beta only)" test "$status" = 400
req storm1 "$BASE/v1.0/organization" "${AUTH[@]}"
check "storm: the 4th organization request gets 503 with Retry-After: 1" sh -c "[ $status = 503 ] && [ '$(header storm1 Retry-After)' = 1 ]"
req storm2 "$BASE/v1.0/organization" "${AUTH[@]}"
check "storm: still 503 within its 2 seconds" test "$status" = 503
sleep 2.2
req storm3 "$BASE/v1.0/organization" "${AUTH[@]}"
check "storm: over after 2 seconds" test "$status" = 200

req sps "$BASE/v1.0/servicePrincipals?\$filter=applicationTemplateId%20eq%20'$TEMPLATE'" "${AUTH[@]}"
checke "servicePrincipals \$filter=applicationTemplateId eq '<Cloud Sync template>': the Cloud Sync one only" \
    "[ $status = 200 ] && j '$T/sps.body' '[s[\"id\"] for s in j[\"value\"]] == [\"sp-cloud-sync\"]'"
req jobs "$BASE/v1.0/servicePrincipals/sp-cloud-sync/synchronization/jobs" "${AUTH[@]}"
checke "synchronization jobs: AD2AADProvisioning and AD2AADPasswordHash" \
    "[ $status = 200 ] && j '$T/jobs.body' 'sorted(x[\"templateId\"] for x in j[\"value\"]) == [\"AD2AADPasswordHash\", \"AD2AADProvisioning\"]'"
check "the password hash job: Quarantine, its reason, failures, executions, schedule, id" j "$T/jobs.body" '(
[x for x in j["value"] if x["templateId"] == "AD2AADPasswordHash"][0]["status"]["code"] == "Quarantine" and
all((s["quarantine"]["reason"] == "EncounteredQuarantineException", s["countSuccessiveCompleteFailures"] == 7,
     s["lastExecution"]["state"] == "Failed", s["lastExecution"]["timeEnded"].endswith("Z"),
     s["lastSuccessfulExecution"]["timeEnded"].endswith("Z"), "countExported" in s["lastExecution"],
     x["schedule"]["state"] == "Active", x["id"].startswith("AD2AADPasswordHash."))
    for x in j["value"] if x["templateId"] == "AD2AADPasswordHash" for s in [x["status"]]))'
req nosp "$BASE/v1.0/servicePrincipals/nope/synchronization/jobs" "${AUTH[@]}"
check "jobs of an unknown service principal: 404" test "$status" = 404

# --- client assertions ------------------------------------------------------------------------------
cat > "$T/jwt.py" <<'PY'
# jwt.py ALG THUMB(s256|sha1) CERT KEY AUD ISS NBF_OFFSET EXP_OFFSET [tamper]: a signed client assertion
import base64, hashlib, json, sys, time, uuid
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
alg, thumb, cert_path, key_path, aud, iss, nbf_off, exp_off = sys.argv[1:9]
tamper = len(sys.argv) > 9
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
der = x509.load_pem_x509_certificate(open(cert_path, "rb").read()).public_bytes(serialization.Encoding.DER)
header = {"alg": alg, "typ": "JWT"}
if thumb == "s256":
    header["x5t#S256"] = b64(hashlib.sha256(der).digest())
else:
    header["x5t"] = b64(hashlib.sha1(der).digest())
now = int(time.time())
claims = {"aud": aud, "iss": iss, "sub": iss, "jti": str(uuid.uuid4()), "nbf": now + int(nbf_off),
          "exp": now + int(exp_off), "iat": now + int(nbf_off)}
signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
key = serialization.load_pem_private_key(open(key_path, "rb").read(), password=None)
pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32) if alg == "PS256" else padding.PKCS1v15()
signature = key.sign(signing_input.encode(), pad, hashes.SHA256())
if tamper:  # another jti after signing: the signature no longer matches
    claims["jti"] = str(uuid.uuid4())
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
print(f"{signing_input}.{b64(signature)}")
PY
assertion() { "$PY" "$T/jwt.py" "$@"; }
token_with() { # name assertion [client_id]
    req "$1" "$TOKEN_URL" --data-urlencode "client_id=${3:-$APP}" --data-urlencode "client_assertion=$2" \
        --data-urlencode "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer" \
        -d "scope=$SCOPE&grant_type=client_credentials"
}
PS=$(assertion PS256 s256 "$T/app.pem" "$T/app-key.pem" "$TOKEN_URL" "$APP" 0 300)
token_with aps "$PS"
checke "PS256 assertion with x5t#S256: 200 and a token" "[ $status = 200 ] && j '$T/aps.body' 'j[\"token_type\"] == \"Bearer\"'"
req aps_users "$BASE/v1.0/users?\$top=1" -H "Authorization: Bearer $(j "$T/aps.body" 'j["access_token"]')"
check "the assertion's token reads /users" test "$status" = 200
RS=$(assertion RS256 sha1 "$T/app.pem" "$T/app-key.pem" "$TOKEN_URL" "$APP" 0 300)
token_with ars "$RS"
check "RS256 assertion with x5t (SHA-1): 200" test "$status" = 200
token_with replay "$PS"
check "the same assertion again (jti reused): 401, refused" sh -c "[ $status = 401 ] && grep -q 'AADSTS50013' '$T/replay.body'"
token_with tampered "$(assertion PS256 s256 "$T/app.pem" "$T/app-key.pem" "$TOKEN_URL" "$APP" 0 300 tamper)"
checke "tampered PS256 assertion: 401 invalid_client AADSTS700027" "[ $status = 401 ] && j '$T/tampered.body' 'j[\"error\"] == \"invalid_client\" and j[\"error_codes\"] == [700027]'"
token_with tamperedrs "$(assertion RS256 sha1 "$T/app.pem" "$T/app-key.pem" "$TOKEN_URL" "$APP" 0 300 tamper)"
check "tampered RS256 assertion: 401 AADSTS700027" sh -c "[ $status = 401 ] && grep -q 'AADSTS700027' '$T/tamperedrs.body'"
token_with expired "$(assertion PS256 s256 "$T/app.pem" "$T/app-key.pem" "$TOKEN_URL" "$APP" -900 -300)"
check "expired assertion: 401 AADSTS700024" sh -c "[ $status = 401 ] && grep -q 'AADSTS700024: Client assertion is not within its valid time range' '$T/expired.body'"
token_with future "$(assertion PS256 s256 "$T/app.pem" "$T/app-key.pem" "$TOKEN_URL" "$APP" 120 400)"
check "assertion not valid yet (nbf in 2 minutes): 401 AADSTS700024" sh -c "[ $status = 401 ] && grep -q 'AADSTS700024' '$T/future.body'"
token_with long "$(assertion PS256 s256 "$T/app.pem" "$T/app-key.pem" "$TOKEN_URL" "$APP" 0 1200)"
check "assertion valid for 20 minutes: 401 AADSTS700024" sh -c "[ $status = 401 ] && grep -q 'AADSTS700024' '$T/long.body'"
token_with aud "$(assertion PS256 s256 "$T/app.pem" "$T/app-key.pem" "https://login.microsoftonline.com/$TENANT/oauth2/v2.0/token" "$APP" 0 300)"
check "assertion for another audience: 401 AADSTS50027" sh -c "[ $status = 401 ] && grep -q 'AADSTS50027' '$T/aud.body'"
token_with other "$(assertion PS256 s256 "$T/other.pem" "$T/other-key.pem" "$TOKEN_URL" "$APP" 0 300)"
check "assertion signed with an unregistered certificate: 401 AADSTS700027" sh -c "[ $status = 401 ] && grep -q 'AADSTS700027: The certificate with identifier used to sign the client assertion is not registered' '$T/other.body'"
token_with iss "$(assertion PS256 s256 "$T/app.pem" "$T/app-key.pem" "$TOKEN_URL" "$SHORT" 0 300)"
check "assertion whose iss is not client_id: 401" test "$status" = 401

# --- a token that expires ------------------------------------------------------------------------------
req short "$TOKEN_URL" -d "client_id=$SHORT&client_secret=short&scope=$SCOPE&grant_type=client_credentials"
check "a 2-second token: expires_in 2" j "$T/short.body" 'j["expires_in"] == 2'
SHORT_AUTH=(-H "Authorization: Bearer $(j "$T/short.body" 'j["access_token"]')")
req short1 "$BASE/v1.0/users?\$top=1" "${SHORT_AUTH[@]}"
check "the 2-second token works at once" test "$status" = 200
sleep 2.5
req short2 "$BASE/v1.0/users?\$top=1" "${SHORT_AUTH[@]}"
check "the 2-second token after 2.5 s: 401 token expired" sh -c "[ $status = 401 ] && grep -q 'expired' '$T/short2.body'"

check "request log: every line is JSON with time, method, path, query and status" "$PY" -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if len(lines) > 40 and all({"time", "method", "path", "query", "status"} <= set(l) for l in lines if "event" not in l) else 1)' "$T/requests.jsonl"

# --- the lifeline -----------------------------------------------------------------------------------
exec 3>&-
for _ in $(seq 30); do kill -0 "$EMU_PID" 2>/dev/null || break; sleep 0.1; done
check "the emulator exits when its standard input closes" sh -c "! kill -0 $EMU_PID 2>/dev/null"

# --- --generate: the slapd test directory's users, page by page ---------------------------------------
mkfifo "$T/life2"
"$PY" "$EMU" --make-cert "$T/made" --client-secret gen --generate 2500 --generate-behind-every 10 \
    --fault users:2:throttle:retryAfter=1,times=2 --log "$T/gen.jsonl" --stdin-lifeline < "$T/life2" > "$T/gen.out" 2> "$T/gen.err" &
PIDS+=("$!")
exec 4> "$T/life2"
for _ in $(seq 50); do grep -q '^PORT ' "$T/gen.out" 2>/dev/null && break; sleep 0.1; done
GPORT=$(awk '/^PORT /{print $2; exit}' "$T/gen.out")
check "--make-cert with serving: PORT first, then CA" sh -c "head -1 '$T/gen.out' | grep -q '^PORT ' && sed -n 2p '$T/gen.out' | grep -qx 'CA $T/made/ca.pem'"
GEN=https://localhost:$GPORT
curl -sS --cacert "$T/made/ca.pem" -o "$T/gtok.body" -d "client_id=$APP&client_secret=gen&scope=$SCOPE&grant_type=client_credentials" \
    "$GEN/$TENANT/oauth2/v2.0/token"
GAUTH=(-H "Authorization: Bearer $(j "$T/gtok.body" 'j["access_token"]')")
url="$GEN/v1.0/users?\$select=id,userPrincipalName,onPremisesImmutableId,lastPasswordChangeDateTime,accountEnabled&\$top=999"
pages=0 total=0 throttled=0
while [ -n "$url" ] && [ $pages -lt 10 ] && [ $throttled -lt 5 ]; do
    CACERT=$T/made/ca.pem req "g$((pages + 1))" "$url" "${GAUTH[@]}"
    if [ "$status" = 429 ]; then  # a client's loop: wait what Retry-After says, ask again
        throttled=$((throttled + 1))
        sleep "$(header "g$((pages + 1))" Retry-After)"
        continue
    fi
    pages=$((pages + 1))
    total=$((total + $(j "$T/g$pages.body" 'len(j["value"])')))
    url=$(j "$T/g$pages.body" 'j.get("@odata.nextLink", "")' 2>/dev/null || true)
done
check "--generate 2500 with \$top=999: 3 pages, 2500 users (over https://localhost)" test "$pages:$total" = "3:2500"
check "--fault users:2:throttle:retryAfter=1,times=2: page 2 answered 429 twice, then 200" test "$throttled" = 2
check "request log: two 429s of page 2, each with Retry-After 1, about a second apart" "$PY" -c '
import json, sys
t = [l["t"] for l in map(json.loads, open(sys.argv[1])) if l.get("page") == 2]
sys.exit(0 if len(t) == 3 and all(0.9 < b - a < 3 for a, b in zip(t, t[1:])) else 1)' "$T/gen.jsonl"
"$PY" "$ROOT/scripts/slapd/generate-users.py" DC=fault,DC=test 10 > "$T/users.ldif"
IMMUTABLE=$(j "$T/g1.body" 'j["value"][0]["onPremisesImmutableId"]')
check "--generate: user000001's onPremisesImmutableId is generate-users.py's objectGUID" \
    grep -qx "objectGUID:: $IMMUTABLE" <(grep -A12 '^dn: CN=user000001,' "$T/users.ldif")
check "--generate: user000010 is disabled and behind (every 10th)" j "$T/g1.body" \
    'j["value"][9]["accountEnabled"] is False and j["value"][9]["userPrincipalName"] == "user000010@fault.test"'
exec 4>&-
for _ in $(seq 30); do kill -0 "${PIDS[1]}" 2>/dev/null || break; sleep 0.1; done

printf '%d passed, %d failed\n' "$PASS" "$FAIL"
[ "$FAIL" -eq 0 ]
