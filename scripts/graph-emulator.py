#!/usr/bin/env python3
"""A local HTTPS emulator of the Entra ID token endpoint and the Microsoft Graph reads phs-check makes.

    scripts/graph-emulator.py --tls-cert CERT --tls-key KEY [--scenario FILE] [options]
    scripts/graph-emulator.py --make-cert DIR [--no-serve]

The real Graph is not reachable from the test machines; this is the project's own stand-in for
the tests of "read Entra ID over Microsoft Graph". It listens on 127.0.0.1 only (--port, 0 = a
free port), over HTTPS, and prints "PORT <n>" as the first line of standard output when it is
ready. It serves until it is killed (SIGTERM/SIGINT), standard input closes (--stdin-lifeline),
or --lifetime seconds pass. Each request is one line of --log (JSON Lines, see "Request log").

Python 3 standard library only, plus Debian's python3-cryptography (import cryptography) for
the RSA signature of client assertions: the standard library has no RSA. Without it the
emulator still serves client-secret apps and refuses to start when a scenario registers a
certificate. Run it with Debian's /usr/bin/python3 (3.11), as the tests do.

This is a test tool, not a model of Entra ID: it knows one tenant, app-only tokens and the
read endpoints below, and answers them the way the Microsoft documentation cited here says
the real services do.

Microsoft documentation followed
--------------------------------
[CC]   Microsoft identity platform and the OAuth 2.0 client credentials flow
       https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
       POST /{tenant}/oauth2/v2.0/token, form-encoded: client_id, scope (resource/.default),
       grant_type=client_credentials, and client_secret (also accepted as HTTP Basic, RFC 6749
       2.3.1) or client_assertion_type + client_assertion. Success: token_type, expires_in,
       access_token. Error (400): error, error_description (AADSTSnnn: ...\\r\\nTrace ID: ...
       \\r\\nCorrelation ID: ...\\r\\nTimestamp: ...), error_codes, timestamp, trace_id,
       correlation_id.
[CERT] Microsoft identity platform application authentication certificate credentials
       https://learn.microsoft.com/entra/identity-platform/certificate-credentials
       Assertion header alg PS256 ("Use PSS padding"), typ JWT, x5t#S256 = base64url SHA-256 of
       the certificate's DER; earlier versions of the page: alg RS256 with x5t = base64url SHA-1
       (both accepted here). Claims aud = https://login.microsoftonline.com/{tenant}/oauth2/v2.0
       /token (here: this emulator's own token URL), iss = sub = client id, jti (a GUID), nbf,
       exp ("5-10 minutes after nbf at most"; the page adds that Entra ID does not restrict exp
       today: assertionMaxLifetime below is this emulator's stricter check), iat.
[ERR]  Microsoft Entra authentication and authorization error codes
       https://learn.microsoft.com/entra/identity-platform/reference-error-codes
       error values (invalid_request, invalid_client, unauthorized_client, invalid_scope,
       unsupported_grant_type, temporarily_unavailable) and AADSTS codes: 900144 missing
       parameter, 90014 missing field, 90002 tenant not found, 700016 application not found,
       7000215 invalid client secret, 7000218 neither client_assertion nor client_secret,
       700027 assertion signature, 50012, 50013 invalid assertion, 50027 invalid JWT, 50048
       subject/issuer mismatch, 70011 invalid scope, 70003 unsupported grant type, 900561 wrong
       HTTP verb, 90055 tenant throttling, 90033 service unavailable. AADSTS700024 ("Client
       assertion is not within its valid time range. Current time: ..., assertion valid from
       ..., expiry time of assertion ...") and the 7000215 / 700027 wording are taken from
       Entra ID's answers quoted in public issue threads; the page does not list them.
[PAGE] Paging Microsoft Graph data in your app      https://learn.microsoft.com/graph/paging
       @odata.nextLink is an absolute URL carrying an opaque $skiptoken and the other query
       parameters of the request; the last page has none; GET /users pages by 100 by default and
       supports $top, not $skip.
[QP]   Use query parameters to customize responses  https://learn.microsoft.com/graph/query-parameters
       $select returns the listed properties (a subset or a superset of the default set);
       $top minimum 1; on beta the $ prefix is optional (accepted here on both versions).
[LU]   List users  https://learn.microsoft.com/graph/api/user-list?view=graph-rest-1.0
       default property set (businessPhones, displayName, givenName, id, jobTitle, mail,
       mobilePhone, officeLocation, preferredLanguage, surname, userPrincipalName); with $select
       exactly the selected properties (the page's example $select=displayName,id returns those
       two); properties that only a single-user GET returns (aboutMe, birthday, ...) give 501.
       $top 1..999 (the 999 maximum and the "Invalid page size" message are Graph's answer as
       seen in practice, not stated on the page).
[USER] user resource type  https://learn.microsoft.com/graph/api/resources/user?view=graph-rest-1.0
       property names: lastPasswordChangeDateTime, onPremisesImmutableId, onPremisesSyncEnabled,
       onPremisesLastSyncDateTime, onPremisesSecurityIdentifier, onPremisesSamAccountName,
       onPremisesUserPrincipalName, onPremisesDistinguishedName, onPremisesDomainName,
       onPremisesProvisioningErrors, passwordPolicies, accountEnabled, ...
[ROPC] Microsoft identity platform and OAuth 2.0 Resource Owner Password Credentials
       https://learn.microsoft.com/entra/identity-platform/v2-oauth-ropc
       POST /{tenant}/oauth2/v2.0/token: client_id, scope, username, password,
       grant_type=password; a public client ("Allow public client flows"). Errors: invalid_grant
       with AADSTS50126 (invalid username or password), 50034 (no such user); a confidential
       app without its secret: invalid_client, AADSTS7000218.
[THR]  Microsoft Graph throttling guidance  https://learn.microsoft.com/graph/throttling
       429 Too Many Requests with a Retry-After header (seconds).
[GERR] Microsoft Graph error responses and resource types  https://learn.microsoft.com/graph/errors
       {"error": {"code", "message", "innerError": {"date", "request-id", "client-request-id"}}};
       503 "may be specified in a Retry-After header"; serviceNotAvailable, generalException.
[ORG]  organization resource type (v1.0 and beta)
       https://learn.microsoft.com/graph/api/resources/organization
       v1.0: onPremisesSyncEnabled, onPremisesLastSyncDateTime. beta adds
       onPremisesLastPasswordSyncDateTime ("The last time a password sync request was received
       for the tenant"): that sentence is from Microsoft's beta SDK models (generated from the
       beta metadata); the stored copies of the beta page reachable here predate the property.
       On v1.0, $select of it is refused as an unknown property.
[ODS]  Get onPremisesDirectorySynchronization
       https://learn.microsoft.com/graph/api/onpremisesdirectorysynchronization-get
       GET /directory/onPremisesSynchronization[/{id}]; permissions: Application "Not
       supported" (so an app-only token gets 403 Authorization_RequestDenied unless the scenario
       allows it). Example body: configuration.accidentalDeletionPrevention and the features.
[ODSF] onPremisesDirectorySynchronizationFeature resource type
       https://learn.microsoft.com/graph/api/resources/onpremisesdirectorysynchronizationfeature
       passwordSyncEnabled, userForcePasswordChangeOnLogonEnabled, ... (19 booleans).
[SP]   servicePrincipal resource type  https://learn.microsoft.com/graph/api/resources/serviceprincipal
       applicationTemplateId "Supports $filter (eq, not, ne)"; tags, appId, displayName.
[CS]   How to programmatically configure cloud sync using MS Graph API
       https://learn.microsoft.com/entra/identity/hybrid/cloud-sync/how-to-inbound-synch-ms-graph
       the Cloud Sync service principal is instantiated from application template
       1a4721b3-e57f-4451-ae87-ef078703ec94; its jobs use templateId AD2AADProvisioning
       (users/groups) and AD2AADPasswordHash (password hash sync); job ids look like
       "AD2AADProvisioning.fc96887f36da47508c935c28a0c0b6da"; status under each job. Microsoft's
       AADCloudSyncTools module finds these service principals with
       $filter=applicationTemplateId eq '1a4721b3-e57f-4451-ae87-ef078703ec94'.
[JOBS] List synchronization jobs
       https://learn.microsoft.com/graph/api/synchronization-synchronization-list-jobs
       GET /servicePrincipals/{id}/synchronization/jobs, {"value": [synchronizationJob]}.
[SJ]   synchronizationJob (id, templateId, schedule, status, synchronizationJobSettings),
       synchronizationSchedule (expiration, interval, state: Active | Disabled | Paused),
       synchronizationStatus (code: NotConfigured | NotRun | Active | Paused | Quarantine,
       countSuccessiveCompleteFailures, escrowsPruned, lastExecution, lastSuccessfulExecution,
       lastSuccessfulExecutionWithExports, progress, quarantine, steadyStateFirstAchievedTime,
       steadyStateLastAchievedTime, synchronizedEntryCountByType, troubleshootingUrl),
       synchronizationQuarantine (currentBegan, nextAttempt, reason: EncounteredBaseEscrowThreshold
       | EncounteredTotalEscrowThreshold | EncounteredEscrowProportionThreshold |
       EncounteredQuarantineException | Unknown | QuarantinedOnDemand | TooManyDeletes |
       IngestionInterrupted, seriesBegan, seriesCount, error), synchronizationTaskExecution
       (activityIdentifier, countEntitled, ..., error, state: Succeeded | Failed |
       EntryLevelErrors, timeBegan, timeEnded):
       https://learn.microsoft.com/graph/api/resources/synchronization-synchronizationjob (and
       -synchronizationschedule, -synchronizationstatus, -synchronizationquarantine,
       -synchronizationtaskexecution)
[NC]   Microsoft Graph national cloud deployments  https://learn.microsoft.com/graph/deployments
       Graph roots graph.microsoft.com, graph.microsoft.us, dod-graph.microsoft.us,
       microsoftgraph.chinacloudapi.cn: the scope a token request must name is
       "<graphResource>/.default" (scenario graphResource).

Not from the documentation (this emulator's own choices, so tests must not rely on the text):
a reused jti is refused with AADSTS50013 (Entra ID documents no replay answer); an aud that is
not this token URL gives AADSTS50027; iss other than client_id gives AADSTS700021; two
credentials in one request give AADSTS90023; a bad client_assertion_type gives AADSTS90014;
Graph's 429 body code (default TooManyRequests), the skiptoken errors (Directory_ExpiredPageToken
for an expired one, Request_BadRequest for a forged one), and the Graph 401 messages ("Access
token is empty.", "CompactToken parsing failed with error code: 80049217", "Lifetime validation
failed, the token is expired.") are as Graph is commonly seen to answer.

Endpoints
---------
POST /{tenant}/oauth2/v2.0/token        tenant = tenantId or one of tenantAliases
GET  /v1.0|beta/users                   $select, $top (1..999, default pageSize 100), $filter
                                        (eq/ne on a property, startswith(p,'x'), joined by and),
                                        $skiptoken (from @odata.nextLink only)
GET  /v1.0|beta/users/{id | userPrincipalName}   one user, $select
GET  /v1.0|beta/organization            a collection of one; beta adds
                                        onPremisesLastPasswordSyncDateTime; $select
GET  /v1.0|beta/directory/onPremisesSynchronization[/{id}]   a collection of one, or the entity
GET  /v1.0|beta/servicePrincipals[/{id}]                     $filter: applicationTemplateId eq,
                                        appId eq, displayName eq, id eq, startswith(displayName,
                                        'x'), tags/any(t:t eq 'x'); $select
GET  /v1.0|beta/servicePrincipals/{id}/synchronization/jobs[/{jobId}]
Every Graph request needs "Authorization: Bearer <token from this emulator>", or 401
InvalidAuthenticationToken (missing, unknown, or expired token). Other paths: 400 BadRequest
"Resource not found for the segment"; unknown ids: 404 Request_ResourceNotFound; other methods:
405.

Scenario file (--scenario FILE, JSON; every key optional)
----------------------------------------------------------
{
  "tenantId": "11111111-1111-1111-1111-111111111111",
  "tenantAliases": ["contoso.onmicrosoft.com"],     # also accepted in the token URL and aud
  "graphResource": "https://graph.microsoft.com",     # scope must be <this>/.default (or
                                                      # 00000003-0000-0000-c000-000000000000/.default)
  "apps": [{"clientId": "2222...", "secrets": ["s3cret"],
            "certificates": ["app.pem"],              # PEM paths, relative to the scenario file
            "tokenLifetime": 3599}],                  # per app; else the global one
  "clientId"/"clientSecret"/"certificate": shorthand for a single app
  "tokenLifetime": 3599,          # seconds an access token is valid here
  "tokenExpiresIn": null,         # expires_in sent (default tokenLifetime); larger than the
                                  # lifetime: the token expires mid-fetch while the client
                                  # believes it is still good
  "assertionMaxLifetime": 600,    # exp - nbf allowed, seconds (0: no limit, as Entra ID)
  "requiredClaims": ["aud", "iss", "sub", "jti", "nbf", "exp"],
  "clockSkew": 0,                 # seconds tolerated on nbf/exp
  "rejectJtiReuse": true,
  "pageSize": 100, "maxTop": 999,
  "skiptokenLifetime": 0,         # seconds a $skiptoken stays valid (0: forever)
  "selectAlwaysId": false,        # true: id is added to every $select (Graph does not)
  "users": [ ... ] | "usersFile": "users.json",      # Graph user objects: an array, {"value":
                                  # [...]}, or JSON Lines; --users overrides
  "generate": {"count": 0, "baseDN": "DC=fault,DC=test", "behindEvery": 0},
                                  # synthetic users, made page by page (see --generate)
  "organization": {"displayName": ..., "onPremisesSyncEnabled": true,
                   "onPremisesLastSyncDateTime": "now-20m",
                   "onPremisesLastPasswordSyncDateTime": "now-2m", ...},
  "onPremisesSynchronization": {"allowAppOnly": false, "features": {...}, "configuration": {...}},
  "servicePrincipals": [{"id": ..., "appId": ..., "displayName": "contoso.com",
                         "applicationTemplateId": "1a4721b3-e57f-4451-ae87-ef078703ec94",
                         "tags": [], "jobs": [
      {"templateId": "AD2AADPasswordHash", "schedule": {"state": "Active"},
       "status": {"code": "Quarantine", "countSuccessiveCompleteFailures": 12,
                  "quarantine": {"reason": "EncounteredQuarantineException"},
                  "lastExecution": {"state": "Failed", "timeEnded": "now-10m"},
                  "lastSuccessfulExecution": {"state": "Succeeded", "timeEnded": "now-3d"}}}]}],
  "forbidden": ["users"],         # endpoints answering 403 Authorization_RequestDenied:
                                  # users, organization, onPremisesSynchronization,
                                  # servicePrincipals, synchronizationJobs
  "faults": [ see below ],
  "syncEngine": { see "Playing the sync engine" },
  "publicClients": ["3c4d..."]    # apps that may use the password grant (ROPC), with the
                                  # passwords the sync engine synced
}
Any string "now", "now-30m", "now+1h", "now-2d", "now-90s" in users, organization, jobs is
replaced by that UTC time (ISO 8601, Z) when it is served. Missing job fields get the
documented shape ([CS], [JOBS]): id "<templateId>.<32 hex>", schedule {expiration: null,
interval: "PT2M", state: "Active"}, status code "Active" with null executions, and partial
executions / quarantine objects are completed with their other fields.

Playing the sync engine ("syncEngine" in the scenario)
-----------------------------------------------------
{"ldapUrl": "ldaps://dc1.phs.test", "caFile": "ca.pem", "bindDN": "Administrator@phs.test",
 "passwordFile": "admin-password",                   # paths relative to the scenario file
 "watch": [{"dn": "CN=probe,OU=...,DC=phs,DC=test",  # an account on the DC
            "cloudUser": "probe@phs.test",            # its cloud user (id or UPN) in "users"
            "delay": 5,                               # seconds; null: the change never arrives
            "account": "probe",                       # its sAMAccountName, for its hash
            "hash": true,                             # false: the time arrives, the hash never
            "interval": 0.25}],                       # how often the DC is read
 "smbConf": "/.../smb.conf"}                          # the DC's, to read password hashes
For the probe's tests the emulator stands in for Entra Connect's password hash sync: it reads
each watched account's pwdLastSet on the DC (ldapsearch) and, when it moves, sets the cloud
user's lastPasswordChangeDateTime to that change plus "delay", at that time and not before; with
"delay" null it never does. With "smbConf" and "account", it also syncs the password's hash, as
PHS does: it reads the account's NT hash on the DC (samba-tool user getpassword, as root) when it
starts and at each change, and makes it the cloud user's password at the same time as the
timestamp; with "hash": false it moves the timestamp and keeps the old hash. The token endpoint
then takes the password grant [ROPC] for the "publicClients": username the cloud UPN, the
password checked against that hash (AADSTS50126 when it differs). The password is never logged.
Each change is a line of --log ({"syncEngine": ...}).

Faults ("faults" in the scenario, or --fault ON:[PAGE]:TYPE[:key=value,...], repeatable)
----------------------------------------------------------------------------------------
{"on": ENDPOINT, "page": N, "type": TYPE, "times": K, ...}
  on      token | users | organization | onPremisesSynchronization | servicePrincipals |
          synchronizationJobs | graph (every Graph request) | any (default)
  page    only page N (1-based) of a /users listing: the page a $skiptoken points at, so a
          retried page is the same page; omitted: every request of that endpoint
  times   how many matching requests it hits (default 1; 0 = every one); later ones pass
  type:
    throttle     429, Retry-After: retryAfter (default 1; null: no header), body code
                 (default TooManyRequests); on the token endpoint: temporarily_unavailable,
                 AADSTS90055
    unavailable  503 (or "status"), Retry-After: retryAfter if given (default: none),
                 body serviceNotAvailable; token endpoint: temporarily_unavailable, AADSTS90033
    status       any "status" (500, 502, 504, ...) with "code" (default generalException)
    reset        the connection closes without a (complete) response: "at": "request" (after
                 reading the request, nothing sent; default) or "body" (headers and half the
                 body, then close; with rst, 0.2 s after the half, which a reset would
                 otherwise discard unread); "rst": true sends a TCP reset instead of a FIN
    malformed    200 with a body that is not JSON: "how": "truncate" (default: the page cut in
                 the middle, Content-Length matching), "garbage", "html"
    delay        waits "seconds" (default 5), then answers normally
    expire-token the presented access token expires now: 401 as for an expired token
    redirect     "status" (default 302) with Location: "location" (default
                 https://attacker.invalid/v1.0/users): a client must not follow it with its token
    oversize     200 with a JSON body of "bytes" bytes (default 65 MiB), whitespace padded
    storm        every matching request answers "status" (default 503) with Retry-After:
                 retryAfter (default none) for "duration" seconds (default 10), starting at
                 the request after the first "startAfter" matching ones (default 0); "page" and
                 "times" do not apply
  Faults are checked before the token (as a gateway would); a storm before page faults.
  Examples: --fault users:2:throttle:retryAfter=3,times=2   --fault graph::storm:duration=5
            --fault users:4:reset:at=body,rst=true          --fault token::unavailable

Options
-------
--port N, --tls-cert PEM, --tls-key PEM, --scenario FILE, --log FILE, --users FILE,
--generate N (with --generate-base-dn, default DC=fault,DC=test, and --generate-behind-every K),
--tenant-id, --client-id, --client-secret, --client-cert PEM (repeatable): a one-app setup
without a scenario; --token-lifetime S; --fault SPEC; --stdin-lifeline; --lifetime S;
--make-cert DIR: openssl makes DIR/ca.pem (+ ca-key.pem), DIR/server.pem + server-key.pem (for
127.0.0.1 and localhost, signed by the CA) and DIR/app.pem + app-key.pem (a self-signed RSA
certificate for client assertions), unless they exist; the emulator then serves with them
unless --tls-cert is given; it prints "CA <path>" (after "PORT <n>"), or alone with --no-serve.

--generate N makes users 1..N as scripts/slapd/generate-users.py makes them for BASE_DN (the
same userNNNNNN names, objectGUIDs as onPremisesImmutableId, SIDs, enabled state; the cloud
password time is the AD one + 30 s, or 1 day before it for every K-th user with
--generate-behind-every K): a benchmark can read the slapd directory and this emulator as one
tenant. Each page is made when it is asked for; nothing else is held.

Request log (--log FILE, JSON Lines, one line a request, written as it ends)
-----------------------------------------------------------------------------
{"time": "2025-01-01T00:00:00.123Z", "t": <epoch seconds>, "method": "GET", "path":
 "/v1.0/users", "query": "<raw query>", "params": {...}, "endpoint": "users", "page": 2,
 "status": 429, "retryAfter": 3, "fault": "throttle", "error": "TooManyRequests",
 "clientId": "...", "ms": 1.2}
retryAfter appears whenever a Retry-After header was sent (429, 503, storms, token endpoint);
error is the Graph error code or "AADSTSnnn"; fault names the fault that hit the request. A
reset adds "reset": "fin" | "rst", with status null (nothing sent) or the status sent and
"truncated": true (cut mid-body); a malformed body adds "malformed": how; a redirect adds
"redirect": its Location; an oversize answer adds "bytes": its size. Token requests add
"grant": "secret" | "assertion", and for assertions "alg" and "thumbprint" (hex). Request
bodies (secrets, assertions) are never logged. A failed TLS handshake (say, a client that does
not trust the CA) is logged as {"event": "tls-handshake-failed", "error": ...}.
"""
import argparse
import base64
import calendar
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import socket
import socketserver
import ssl
import struct
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, unquote, urlsplit

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    HAVE_CRYPTOGRAPHY = True
except ImportError:  # python3-cryptography not installed: client secrets only
    HAVE_CRYPTOGRAPHY = False

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
GRAPH_CONTENT_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

# [LU] the properties GET /users returns without $select
USER_DEFAULT_PROPERTIES = ["businessPhones", "displayName", "givenName", "id", "jobTitle", "mail", "mobilePhone",
                           "officeLocation", "preferredLanguage", "surname", "userPrincipalName"]
# [USER] v1.0 user properties (JSON representation)
USER_PROPERTIES = USER_DEFAULT_PROPERTIES + [
    "accountEnabled", "ageGroup", "assignedLicenses", "assignedPlans", "city", "companyName",
    "consentProvidedForMinor", "country", "createdDateTime", "creationType", "deletedDateTime", "department",
    "employeeHireDate", "employeeId", "employeeOrgData", "employeeType", "externalUserState",
    "externalUserStateChangeDateTime", "faxNumber", "identities", "imAddresses", "isResourceAccount",
    "lastPasswordChangeDateTime", "legalAgeGroupClassification", "licenseAssignmentStates", "mailNickname",
    "onPremisesDistinguishedName", "onPremisesDomainName", "onPremisesExtensionAttributes", "onPremisesImmutableId",
    "onPremisesLastSyncDateTime", "onPremisesProvisioningErrors", "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier", "onPremisesSyncEnabled", "onPremisesUserPrincipalName", "otherMails",
    "passwordPolicies", "passwordProfile", "postalCode", "preferredDataLocation", "provisionedPlans",
    "proxyAddresses", "showInAddressList", "signInActivity", "signInSessionsValidFromDateTime", "state",
    "streetAddress", "usageLocation", "userType"]
# [LU] returned only by GET /users/{id}: $select of them on the collection gives 501
USER_SINGLE_ONLY = ["aboutMe", "birthday", "hireDate", "interests", "mySite", "pastProjects", "preferredName",
                    "responsibilities", "schools", "skills", "mailboxSettings"]
# [ORG] v1.0 organization properties; beta adds onPremisesLastPasswordSyncDateTime
ORG_PROPERTIES = ["assignedPlans", "businessPhones", "city", "country", "countryLetterCode", "createdDateTime",
                  "defaultUsageLocation", "deletedDateTime", "displayName", "id", "marketingNotificationEmails",
                  "onPremisesLastSyncDateTime", "onPremisesSyncEnabled", "postalCode", "preferredLanguage",
                  "privacyProfile", "provisionedPlans", "securityComplianceNotificationMails",
                  "securityComplianceNotificationPhones", "state", "street", "technicalNotificationMails",
                  "tenantType", "verifiedDomains"]
ORG_BETA_ONLY = ["onPremisesLastPasswordSyncDateTime"]
# [ODS] the documented example's features and configuration, with passwordSyncEnabled true (a PHS tenant)
ODS_FEATURES = {
    "passwordSyncEnabled": True, "passwordWritebackEnabled": False, "directoryExtensionsEnabled": False,
    "quarantineUponUpnConflictEnabled": True, "quarantineUponProxyAddressesConflictEnabled": True,
    "softMatchOnUpnEnabled": True, "cloudPasswordPolicyForPasswordSyncedUsersEnabled": False,
    "fopeConflictResolutionEnabled": False, "unifiedGroupWritebackEnabled": False, "userWritebackEnabled": False,
    "deviceWritebackEnabled": False, "synchronizeUpnForManagedUsersEnabled": True,
    "userForcePasswordChangeOnLogonEnabled": False, "concurrentOrgIdProvisioningEnabled": False,
    "concurrentCredentialUpdateEnabled": False, "groupWriteBackEnabled": False, "blockSoftMatchEnabled": False,
    "blockCloudObjectTakeoverThroughHardMatchEnabled": False, "bypassDirSyncOverridesEnabled": False}
ODS_CONFIGURATION = {"accidentalDeletionPrevention": {"synchronizationPreventionType": "enabledForCount",
                                                      "alertThreshold": 500}}
SCENARIO_KEYS = {"tenantId", "tenantAliases", "graphResource", "apps", "clientId", "clientSecret", "certificate",
                 "tokenLifetime", "tokenExpiresIn", "assertionMaxLifetime", "requiredClaims", "clockSkew",
                 "rejectJtiReuse", "pageSize", "maxTop", "skiptokenLifetime", "selectAlwaysId", "users", "usersFile",
                 "generate", "organization", "onPremisesSynchronization", "servicePrincipals", "forbidden", "faults",
                 "syncEngine", "publicClients"}
ENDPOINTS = ["token", "users", "organization", "onPremisesSynchronization", "servicePrincipals",
             "synchronizationJobs"]
FAULT_TYPES = ["throttle", "unavailable", "status", "reset", "malformed", "delay", "expire-token", "storm",
               "redirect", "oversize"]


# --- time ----------------------------------------------------------------------------------------

def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def iso7(t):  # Entra ID's 7-digit fractions, as in its AADSTS700024 message
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%07dZ" % int((t % 1) * 10_000_000)


def aad_timestamp(t):  # "2016-01-09 02:02:12Z" [CC]
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(t))


RELATIVE = re.compile(r"^now(?:([+-])(\d+)([smhd]))?$")
UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def resolve_times(value, now):
    """Replaces "now", "now-30m", ... anywhere in a JSON value by the UTC time it names."""
    if isinstance(value, str):
        m = RELATIVE.match(value)
        if not m:
            return value
        offset = 0 if not m.group(1) else int(m.group(2)) * UNIT[m.group(3)] * (1 if m.group(1) == "+" else -1)
        return iso(now + offset)
    if isinstance(value, dict):
        return {k: resolve_times(v, now) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_times(v, now) for v in value]
    return value


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def deep_merge(base, over):
    out = dict(base)
    for k, v in (over or {}).items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


# --- certificates --------------------------------------------------------------------------------

class Certificate:
    """A registered certificate credential: thumbprints of its DER, its key, its validity."""

    def __init__(self, path):
        if not HAVE_CRYPTOGRAPHY:
            sys.exit(f"graph-emulator: {path}: certificate credentials need python3-cryptography "
                     "(apt-get install -y python3-cryptography)")
        with open(path, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        der = cert.public_bytes(serialization.Encoding.DER)
        self.path = path
        self.sha1 = hashlib.sha1(der).digest()
        self.sha256 = hashlib.sha256(der).digest()
        self.public_key = cert.public_key()
        before = getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before.replace(tzinfo=None)
        after = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after.replace(tzinfo=None)
        self.not_before = before.timestamp() if before.tzinfo else before.replace(tzinfo=_utc()).timestamp()
        self.not_after = after.timestamp() if after.tzinfo else after.replace(tzinfo=_utc()).timestamp()

    def found(self):
        f = "%m/%d/%Y %H:%M:%S"
        return f"Found key 'Start={time.strftime(f, time.gmtime(self.not_before))}, End={time.strftime(f, time.gmtime(self.not_after))}'"


def _utc():
    import datetime
    return datetime.timezone.utc


def make_certificates(folder):
    """openssl: a CA, a server certificate for 127.0.0.1/localhost signed by it, an app certificate."""
    os.makedirs(folder, exist_ok=True)
    p = lambda name: os.path.join(folder, name)

    def run(*args):
        r = subprocess.run(["openssl", *args], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"graph-emulator: openssl {' '.join(args[:2])} failed: {r.stderr.strip()}")

    if not (os.path.exists(p("ca.pem")) and os.path.exists(p("ca-key.pem"))):
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("ca-key.pem"), "-out", p("ca.pem"),
            "-days", "30", "-subj", "/CN=phs-check graph emulator test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    if not (os.path.exists(p("server.pem")) and os.path.exists(p("server-key.pem"))):
        with open(p("server.ext"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", p("server-key.pem"), "-out", p("server.csr"),
            "-subj", "/CN=127.0.0.1")
        run("x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca-key.pem"),
            "-CAcreateserial", "-out", p("server.pem"), "-days", "30", "-extfile", p("server.ext"))
    if not (os.path.exists(p("app.pem")) and os.path.exists(p("app-key.pem"))):
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("app-key.pem"), "-out", p("app.pem"),
            "-days", "30", "-subj", "/CN=phs-check graph emulator app")
    return p("ca.pem"), p("server.pem"), p("server-key.pem")


# --- configuration -------------------------------------------------------------------------------

class Config:
    def __init__(self, args):
        scenario, base = {}, os.getcwd()
        if args.scenario:
            with open(args.scenario, encoding="utf-8") as f:
                scenario = json.load(f)
            base = os.path.dirname(os.path.abspath(args.scenario))
            unknown = sorted(set(scenario) - SCENARIO_KEYS)
            if unknown:
                print(f"graph-emulator: {args.scenario}: unknown keys ignored: {', '.join(unknown)}", file=sys.stderr)
        rel = lambda path: path if os.path.isabs(path) else os.path.join(base, path)
        s = scenario.get
        self.tenant_id = args.tenant_id or s("tenantId", "11111111-1111-1111-1111-111111111111")
        self.tenants = {self.tenant_id.lower()} | {a.lower() for a in s("tenantAliases", [])}
        self.graph_resource = s("graphResource", "https://graph.microsoft.com").rstrip("/")
        self.token_lifetime = args.token_lifetime if args.token_lifetime is not None else s("tokenLifetime", 3599)
        self.token_expires_in = s("tokenExpiresIn")
        self.assertion_max_lifetime = s("assertionMaxLifetime", 600)
        self.required_claims = s("requiredClaims", ["aud", "iss", "sub", "jti", "nbf", "exp"])
        self.clock_skew = s("clockSkew", 0)
        self.reject_jti_reuse = s("rejectJtiReuse", True)
        self.page_size = s("pageSize", 100)
        self.max_top = s("maxTop", 999)
        self.skiptoken_lifetime = s("skiptokenLifetime", 0)
        self.select_always_id = s("selectAlwaysId", False)
        self.forbidden = set(s("forbidden", []))
        # apps
        apps = list(s("apps", []))
        if s("clientId"):
            apps.append({"clientId": s("clientId"), "secrets": [s("clientSecret")] if s("clientSecret") else [],
                         "certificates": [s("certificate")] if s("certificate") else []})
        if args.client_id or args.client_secret or args.client_cert:
            apps.append({"clientId": args.client_id or "22222222-2222-2222-2222-222222222222",
                         "secrets": [args.client_secret] if args.client_secret else [],
                         "certificates": [os.path.abspath(c) for c in args.client_cert or []]})
        self.apps = {}
        for app in apps:
            cid = app["clientId"].lower()
            self.apps[cid] = {"clientId": app["clientId"], "secrets": list(app.get("secrets", [])),
                              "certificates": [Certificate(rel(c)) for c in app.get("certificates", [])],
                              "tokenLifetime": app.get("tokenLifetime")}
        # directory data
        self.organization = deep_merge({
            "id": self.tenant_id, "displayName": "Emulated Tenant", "countryLetterCode": "US",
            "createdDateTime": "2020-01-01T00:00:00Z", "onPremisesSyncEnabled": True,
            "onPremisesLastSyncDateTime": "now-20m", "onPremisesLastPasswordSyncDateTime": "now-2m",
            "verifiedDomains": [{"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": True,
                                 "isInitial": True, "name": "emulated.onmicrosoft.com", "type": "Managed"}]},
            s("organization", {}))
        ods = s("onPremisesSynchronization", {})
        self.ods_allow_app_only = ods.get("allowAppOnly", False)
        self.ods = {"id": self.tenant_id, "configuration": deep_merge(ODS_CONFIGURATION, ods.get("configuration")),
                    "features": deep_merge(ODS_FEATURES, ods.get("features"))}
        self.service_principals = [complete_service_principal(sp) for sp in s("servicePrincipals", [])]
        # users
        gen = dict(s("generate", {}))
        if args.generate is not None:
            gen["count"] = args.generate
        if args.generate_base_dn:
            gen["baseDN"] = args.generate_base_dn
        if args.generate_behind_every is not None:
            gen["behindEvery"] = args.generate_behind_every
        if args.users:
            self.users = FileUsers(args.users)
        elif gen.get("count"):
            self.users = GeneratedUsers(gen["count"], gen.get("baseDN", "DC=fault,DC=test"), gen.get("behindEvery", 0))
        elif s("usersFile"):
            self.users = FileUsers(rel(s("usersFile")))
        else:
            self.users = FileUsers(None, s("users", []))
        # faults
        self.faults = [Fault(f) for f in s("faults", [])] + [Fault(parse_fault_option(o)) for o in args.fault or []]
        self.public_clients = {c.lower() for c in s("publicClients", [])}
        engine = s("syncEngine")
        self.sync_engine = None if engine is None else dict(engine, caFile=rel(engine["caFile"]),
                                                            passwordFile=rel(engine["passwordFile"]))
        if self.sync_engine and self.sync_engine.get("smbConf"):
            self.sync_engine["smbConf"] = rel(self.sync_engine["smbConf"])


def complete_service_principal(sp):
    sp = dict(sp)
    sid = sp.setdefault("id", str(uuid.uuid4()))
    sp.setdefault("appId", str(uuid.uuid5(uuid.NAMESPACE_URL, "app:" + sid)))
    sp.setdefault("displayName", "emulated.example")
    sp.setdefault("accountEnabled", True)
    sp.setdefault("applicationTemplateId", None)
    sp.setdefault("servicePrincipalType", "Application")
    sp.setdefault("tags", [])
    sp["jobs"] = [complete_job(sid, job) for job in sp.get("jobs", [])]
    return sp


EXECUTION = {"activityIdentifier": None, "countEntitled": 0, "countEntitledForProvisioning": 0, "countEscrowed": 0,
             "countEscrowedRaw": 0, "countExported": 0, "countExports": 0, "countImported": 0,
             "countImportedDeltas": 0, "countImportedReferenceDeltas": 0, "error": None, "state": "Succeeded",
             "timeBegan": None, "timeEnded": None}
QUARANTINE = {"currentBegan": "now-1h", "nextAttempt": "now+1h", "reason": "Unknown", "seriesBegan": "now-1d",
              "seriesCount": 1, "error": None}


def complete_job(sp_id, job):
    """A synchronizationJob [SJ] from a scenario's partial one."""
    template = job.get("templateId", "AD2AADProvisioning")
    status = deep_merge({
        "code": "Active", "countSuccessiveCompleteFailures": 0, "escrowsPruned": False, "lastExecution": None,
        "lastSuccessfulExecution": None, "lastSuccessfulExecutionWithExports": None, "progress": [],
        "quarantine": None, "steadyStateFirstAchievedTime": "0001-01-01T00:00:00Z",
        "steadyStateLastAchievedTime": "0001-01-01T00:00:00Z", "synchronizedEntryCountByType": [],
        "troubleshootingUrl": None}, job.get("status"))
    for key in ("lastExecution", "lastSuccessfulExecution", "lastSuccessfulExecutionWithExports"):
        if isinstance(status.get(key), dict):
            status[key] = deep_merge(EXECUTION, status[key])
    if isinstance(status.get("quarantine"), dict):
        status["quarantine"] = deep_merge(QUARANTINE, status["quarantine"])
    return {"id": job.get("id") or f"{template}.{hashlib.md5((sp_id + template).encode()).hexdigest()}",
            "templateId": template,
            "schedule": deep_merge({"expiration": None, "interval": "PT2M", "state": "Active"}, job.get("schedule")),
            "status": status,
            "synchronizationJobSettings": job.get("synchronizationJobSettings", [])}


# --- users ---------------------------------------------------------------------------------------

class FileUsers:
    """Graph user objects from a JSON array, a Graph page ({"value": [...]}) or JSON Lines."""

    def __init__(self, path, users=None):
        if path is not None:
            with open(path, encoding="utf-8-sig") as f:
                text = f.read()
            try:
                data = json.loads(text)
                users = data.get("value", [data]) if isinstance(data, dict) else data
            except json.JSONDecodeError:
                users = [json.loads(line) for line in text.splitlines() if line.strip()]
        canonical = {p.lower(): p for p in USER_PROPERTIES + USER_SINGLE_ONLY}
        self.items = [{canonical.get(k.lower(), k): v for k, v in u.items()} for u in users]
        self.extra = {k for u in self.items for k in u if k.lower() not in canonical and not k.startswith("@")}
        self.count = len(self.items)

    def get(self, i):
        return self.items[i]

    def find(self, key):
        key = key.lower()
        return next((u for u in self.items if str(u.get("id", "")).lower() == key
                     or str(u.get("userPrincipalName", "")).lower() == key), None)


class GeneratedUsers:
    """Users 1..count as scripts/slapd/generate-users.py makes them, in Graph's shape."""
    NOW = 1_764_000_000  # generate-users.py's fixed "now"

    def __init__(self, count, base_dn, behind_every):
        self.count, self.base_dn, self.behind_every = count, base_dn, behind_every
        self.dc = base_dn.split(",")[0].split("=")[1]
        self.extra = set()

    def find(self, key):
        m = re.fullmatch(r"user(\d{6})@.*", key, re.I)
        indices = [int(m.group(1)) - 1] if m else range(self.count)
        for index in indices:
            if 0 <= index < self.count:
                user = self.get(index)
                if key.lower() in (user["id"], user["userPrincipalName"].lower()):
                    return user
        return None

    def get(self, index):
        i = index + 1
        name = f"user{i:06d}"
        guid = uuid.UUID(int=(0x5EED << 112) | i)
        changed = self.NOW - (i * 7919) % (365 * 86400)
        behind = self.behind_every and i % self.behind_every == 0
        domain = f"{self.dc}.test"
        return {
            "id": str(uuid.UUID(bytes=hashlib.sha256(f"cloud:{self.base_dn}:{i}".encode()).digest()[:16], version=4)),
            "displayName": name, "givenName": None, "surname": name, "mail": None, "jobTitle": None,
            "mobilePhone": None, "officeLocation": None, "preferredLanguage": None, "businessPhones": [],
            "userPrincipalName": f"{name}@{domain}", "accountEnabled": i % 10 != 0,
            "lastPasswordChangeDateTime": iso(changed - 86400 if behind else changed + 30),
            "onPremisesImmutableId": base64.b64encode(guid.bytes_le).decode(),
            "onPremisesSyncEnabled": True, "onPremisesLastSyncDateTime": iso(self.NOW - 600),
            "onPremisesSecurityIdentifier": f"S-1-5-21-1004336348-1177238915-682003330-{1000 + i}",
            "onPremisesSamAccountName": name, "onPremisesUserPrincipalName": f"{name}@{domain}",
            "onPremisesDistinguishedName": f"CN={name},OU=People,{self.base_dn}", "onPremisesDomainName": domain,
            "passwordPolicies": None, "onPremisesProvisioningErrors": []}


# --- the sync engine -------------------------------------------------------------------------------

class SyncEngine:
    """Plays password hash sync for the probe's tests (see "Playing the sync engine")."""

    def __init__(self, config, users, log):
        self.config, self.users, self.log = config, users, log
        self.hashes = {}  # cloud UPN (lower case) -> the NT hash of its synced password

    def start(self):
        for watch in self.config.get("watch", []):
            # The password synced before the emulator started: the account's hash now.
            if watch.get("account") and self.config.get("smbConf"):
                self.hashes[watch["cloudUser"].lower()] = self.nt_hash(watch["account"])
            threading.Thread(target=self.watch, args=(watch,), daemon=True).start()

    def nt_hash(self, account):
        """The account's NT hash on the DC (unicodePwd, read from the DC's own database as root)."""
        try:
            out = subprocess.run(["samba-tool", "user", "getpassword", account, "-s", self.config["smbConf"],
                                  "--attributes=unicodePwd"], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.TimeoutExpired):
            return None
        m = re.search(r"^unicodePwd:: (\S+)$", out, re.M)
        return base64.b64decode(m.group(1)) if m else None

    def hash_of(self, username):
        return self.hashes.get(username.lower())

    def pwd_last_set(self, dn):
        """The account's pwdLastSet as Unix time, or None (0, absent, or the DC not answering)."""
        c = self.config
        try:
            out = subprocess.run(["ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-x", "-H", c["ldapUrl"], "-D", c["bindDN"],
                                  "-y", c["passwordFile"], "-b", dn, "-s", "base", "(objectClass=*)", "pwdLastSet"],
                                 env=dict(os.environ, LDAPTLS_CACERT=c["caFile"]), capture_output=True, text=True,
                                 timeout=10).stdout
        except (OSError, subprocess.TimeoutExpired):
            return None
        m = re.search(r"^pwdLastSet: (\d+)$", out, re.M)
        ticks = int(m.group(1)) if m else 0
        return ticks / 10_000_000 - 11_644_473_600 if ticks > 0 else None

    def watch(self, watch):
        user = self.users.find(watch["cloudUser"])
        if user is None:
            print(f"graph-emulator: syncEngine: no cloud user {watch['cloudUser']}", file=sys.stderr)
            return
        last = self.pwd_last_set(watch["dn"])
        while True:
            time.sleep(watch.get("interval", 0.25))
            now = self.pwd_last_set(watch["dn"])
            if now is None or now == last:
                continue
            last, delay = now, watch.get("delay")
            self.log({"syncEngine": "change", "dn": watch["dn"], "pwdLastSet": iso7(now), "delay": delay})
            if delay is None:
                continue
            at = now + delay
            new_hash = self.nt_hash(watch["account"]) if watch.get("account") and self.config.get("smbConf") and watch.get("hash", True) else None

            def arrive(at=at, new_hash=new_hash):
                user["lastPasswordChangeDateTime"] = iso(at)
                if new_hash is not None:
                    self.hashes[watch["cloudUser"].lower()] = new_hash
                self.log({"syncEngine": "arrived", "dn": watch["dn"], "lastPasswordChangeDateTime": iso(at),
                          "hash": new_hash is not None})
            timer = threading.Timer(max(0.0, at - time.time()), arrive)
            timer.daemon = True
            timer.start()


def md4(message):
    """MD4 (RFC 1320): the NT hash of a password is MD4 of its UTF-16LE. OpenSSL 3 no longer offers it."""
    def f(x, y, z): return (x & y) | (~x & z)
    def g(x, y, z): return (x & y) | (x & z) | (y & z)
    def h(x, y, z): return x ^ y ^ z
    def rotl(x, n): x &= 0xFFFFFFFF; return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF
    data = bytearray(message) + b"\x80"
    while len(data) % 64 != 56:
        data.append(0)
    data += struct.pack("<Q", len(message) * 8)
    a, b, c, d = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476
    for block in range(0, len(data), 64):
        x = struct.unpack("<16I", data[block:block + 64])
        aa, bb, cc, dd = a, b, c, d
        for i in (0, 4, 8, 12):
            a = rotl(a + f(b, c, d) + x[i], 3); d = rotl(d + f(a, b, c) + x[i + 1], 7)
            c = rotl(c + f(d, a, b) + x[i + 2], 11); b = rotl(b + f(c, d, a) + x[i + 3], 19)
        for i in (0, 1, 2, 3):
            a = rotl(a + g(b, c, d) + x[i] + 0x5A827999, 3); d = rotl(d + g(a, b, c) + x[i + 4] + 0x5A827999, 5)
            c = rotl(c + g(d, a, b) + x[i + 8] + 0x5A827999, 9); b = rotl(b + g(c, d, a) + x[i + 12] + 0x5A827999, 13)
        for i in (0, 2, 1, 3):
            a = rotl(a + h(b, c, d) + x[i] + 0x6ED9EBA1, 3); d = rotl(d + h(a, b, c) + x[i + 8] + 0x6ED9EBA1, 9)
            c = rotl(c + h(d, a, b) + x[i + 4] + 0x6ED9EBA1, 11); b = rotl(b + h(c, d, a) + x[i + 12] + 0x6ED9EBA1, 15)
        a, b, c, d = (a + aa) & 0xFFFFFFFF, (b + bb) & 0xFFFFFFFF, (c + cc) & 0xFFFFFFFF, (d + dd) & 0xFFFFFFFF
    return struct.pack("<4I", a, b, c, d)


# --- $filter -------------------------------------------------------------------------------------

class UnsupportedQuery(Exception):
    pass


FILTER_TERM = re.compile(
    r"\s*(?:startswith\(\s*(?P<sw_prop>\w+)\s*,\s*(?P<sw_lit>'(?:[^']|'')*')\s*\)"
    r"|(?P<any_prop>\w+)/any\(\s*(?P<var>\w+)\s*:\s*(?P=var)\s+eq\s+(?P<any_lit>'(?:[^']|'')*')\s*\)"
    r"|(?P<prop>\w+)\s+(?P<op>eq|ne)\s+(?P<lit>'(?:[^']|'')*'|true|false|null|-?\d+))\s*", re.I)


def literal(text):
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    return {"true": True, "false": False, "null": None}.get(text.lower(), text if not text.lstrip("-").isdigit() else int(text))


def parse_filter(text):
    """eq/ne, startswith(p,'x') and p/any(t:t eq 'x'), joined by "and": a predicate on a dict."""
    terms, pos = [], 0
    while True:
        m = FILTER_TERM.match(text, pos)
        if not m:
            raise UnsupportedQuery(text)
        terms.append(m)
        pos = m.end()
        if pos == len(text):
            break
        and_ = re.compile(r"and\s+", re.I).match(text, pos)
        if not and_:
            raise UnsupportedQuery(text)
        pos = and_.end()

    def get(obj, prop):
        for k, v in obj.items():
            if k.lower() == prop.lower():
                return v
        return None

    def same(a, b):
        return a.lower() == b.lower() if isinstance(a, str) and isinstance(b, str) else a == b

    def test(m, obj):
        if m.group("sw_prop"):
            v = get(obj, m.group("sw_prop"))
            return isinstance(v, str) and v.lower().startswith(literal(m.group("sw_lit")).lower())
        if m.group("any_prop"):
            return any(same(v, literal(m.group("any_lit"))) for v in get(obj, m.group("any_prop")) or [])
        equal = same(get(obj, m.group("prop")), literal(m.group("lit")))
        return equal if m.group("op").lower() == "eq" else not equal

    return lambda obj: all(test(m, obj) for m in terms)


# --- faults --------------------------------------------------------------------------------------

def parse_fault_option(spec):
    """ON:[PAGE]:TYPE[:key=value,...] -> a fault dict."""
    parts = spec.split(":", 3)
    if len(parts) < 3:
        sys.exit(f"graph-emulator: --fault {spec}: expected ON:[PAGE]:TYPE[:key=value,...]")
    fault = {"on": parts[0] or "any", "type": parts[2]}
    if parts[1]:
        fault["page"] = int(parts[1])
    for item in (parts[3].split(",") if len(parts) > 3 and parts[3] else []):
        key, _, value = item.partition("=")
        try:
            fault[key] = json.loads(value)
        except json.JSONDecodeError:
            fault[key] = value
    return fault


class Fault:
    def __init__(self, spec):
        self.spec = spec
        self.on = spec.get("on", "any")
        self.type = spec.get("type")
        if self.type not in FAULT_TYPES:
            sys.exit(f"graph-emulator: fault {spec}: type must be one of {', '.join(FAULT_TYPES)}")
        if self.on not in ENDPOINTS + ["graph", "any"]:
            sys.exit(f"graph-emulator: fault {spec}: on must be one of {', '.join(ENDPOINTS + ['graph', 'any'])}")
        self.page = spec.get("page")
        times = spec.get("times", 1)
        self.remaining = None if times == 0 else times
        self.seen = 0          # storm: matching requests before it starts
        self.started = None    # storm: when it started

    def applies(self, endpoint):
        return self.on == "any" or self.on == endpoint or (self.on == "graph" and endpoint != "token")

    def get(self, key, default=None):
        return self.spec.get(key, default)


class Faults:
    def __init__(self, faults):
        self.faults = faults
        self.lock = threading.Lock()

    def pick(self, endpoint, page):
        now = time.monotonic()
        with self.lock:
            for f in self.faults:
                if f.type != "storm" or not f.applies(endpoint):
                    continue
                if f.started is None:
                    if f.seen < f.get("startAfter", 0):
                        f.seen += 1
                        continue
                    f.started = now
                if now < f.started + f.get("duration", 10):
                    return f
            for f in self.faults:
                if f.type == "storm" or not f.applies(endpoint):
                    continue
                if f.page is not None and f.page != page:
                    continue
                if f.remaining == 0:
                    continue
                if f.remaining is not None:
                    f.remaining -= 1
                return f
        return None


# --- state ---------------------------------------------------------------------------------------

class State:
    def __init__(self, config, log_path):
        self.config = config
        self.faults = Faults(config.faults)
        self.tokens = {}       # access token -> {"expires": epoch, "clientId": ...}
        self.jtis = {}         # jti -> exp
        self.lock = threading.Lock()
        self.key = secrets.token_bytes(32)  # signs $skiptoken values
        self.sync_engine = None  # the SyncEngine, when the scenario has one
        self.log_file = open(log_path, "a", encoding="utf-8") if log_path else None
        self.log_lock = threading.Lock()

    def log(self, entry):
        if not self.log_file:
            return
        line = json.dumps(entry, separators=(",", ":"))
        with self.log_lock:
            self.log_file.write(line + "\n")
            self.log_file.flush()

    def issue_token(self, client_id, lifetime):
        token = secrets.token_urlsafe(64)
        with self.lock:
            now = time.time()
            self.tokens = {k: v for k, v in self.tokens.items() if v["expires"] > now - 3600}
            self.tokens[token] = {"expires": now + lifetime, "clientId": client_id}
        return token

    def token(self, token):
        with self.lock:
            return self.tokens.get(token)

    def expire(self, token):
        with self.lock:
            if token in self.tokens:
                self.tokens[token]["expires"] = time.time() - 1

    def use_jti(self, jti, exp):
        """False when the jti was seen before (while the assertion that carried it is valid)."""
        with self.lock:
            now = time.time()
            self.jtis = {k: v for k, v in self.jtis.items() if v > now - 3600}
            if jti in self.jtis:
                return False
            self.jtis[jti] = exp if isinstance(exp, (int, float)) else now
            return True

    def skiptoken(self, offset, top):
        body = f"{offset}:{top}:{int(time.time())}".encode()
        mac = hmac.new(self.key, body, hashlib.sha256).digest()[:12]
        return b64url(b"EMU1" + body + b"|" + mac)

    def read_skiptoken(self, token):
        """(offset, top) or raises ValueError("forged") / ValueError("expired")."""
        try:
            raw = b64url_decode(token)
            body, sep, mac = raw[4:-13], raw[-13:-12], raw[-12:]  # the MAC may hold any byte, "|" too
            if raw[:4] != b"EMU1" or sep != b"|" or not hmac.compare_digest(
                    mac, hmac.new(self.key, body, hashlib.sha256).digest()[:12]):
                raise ValueError("forged")
            offset, top, issued = (int(x) for x in body.decode().split(":"))
        except (ValueError, UnicodeDecodeError) as e:
            raise ValueError("expired" if str(e) == "expired" else "forged")
        lifetime = self.config.skiptoken_lifetime
        if lifetime and time.time() > issued + lifetime:
            raise ValueError("expired")
        return offset, top


# --- HTTP ----------------------------------------------------------------------------------------

class Abort(Exception):
    """The response was a connection reset: nothing more is written."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "graph-emulator"
    sys_version = ""
    timeout = 120  # idle connections
    aborted = False

    def log_message(self, *args):
        pass

    # -- plumbing --

    @property
    def state(self):
        return self.server.state

    def origin(self):
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        return f"https://{host}"

    def send(self, status, body, headers=None, content_type="application/json; charset=utf-8"):
        data = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
        self.entry["status"] = status
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
            if k.lower() == "retry-after":
                self.entry["retryAfter"] = v
        self.end_headers()
        cut = self.entry.pop("_cut", None)
        if cut is not None:  # reset mid-body
            self.wfile.write(data[:max(1, len(data) // 2)])
            self.wfile.flush()
            self.entry["truncated"] = True
            if cut:  # a reset drops what the client has not read yet: let it read the half first
                time.sleep(0.2)
            self.abort(cut)
        self.wfile.write(data)

    def abort(self, rst):
        """Closes the connection now, with no TLS close_notify: a FIN, or a TCP reset."""
        self.entry["reset"] = "rst" if rst else "fin"
        self.aborted = True
        self.close_connection = True
        try:
            if rst:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        for f in (self.rfile, self.wfile):
            try:
                f.close()
            except OSError:
                pass
        try:
            self.connection.close()
        except OSError:
            pass
        raise Abort()

    def finish(self):
        if not self.aborted:
            super().finish()

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except Abort:
            pass
        except (ConnectionError, ssl.SSLError, OSError):
            self.close_connection = True

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, method):
        started = time.time()
        url = urlsplit(self.path)
        self.params = dict(parse_qsl(url.query, keep_blank_values=True))
        self.entry = {"time": iso(started)[:-1] + ".%03dZ" % int((started % 1) * 1000), "t": round(started, 3),
                      "method": method, "path": url.path, "query": url.query, "params": self.params}
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.body = self.read_chunked()
        else:
            length = int(self.headers.get("Content-Length") or 0)
            self.body = self.rfile.read(length) if length else b""
        try:
            m = re.fullmatch(r"/([^/]+)/oauth2/v2\.0/token/?", url.path)
            if m:
                self.entry["endpoint"] = "token"
                self.token_endpoint(method, unquote(m.group(1)))
            elif re.match(r"/(v1\.0|beta)(/|$)", url.path):
                self.graph(method, url.path)
            else:
                self.send(404, {"error": {"code": "NotFound", "message": f"No endpoint at {url.path}."}})
        except Abort:
            raise
        except Exception as e:  # a bug here: said on stderr, and a 500 rather than a silent close
            import traceback
            traceback.print_exc()
            self.entry["internalError"] = repr(e)
            self.close_connection = True
            if self.entry.get("status") is None:
                self.entry.pop("_cut", None)
                self.send(500, {"error": {"code": "generalException", "message": f"graph-emulator: {e!r}"}})
        finally:
            self.entry["ms"] = round((time.time() - started) * 1000, 1)
            self.state.log({k: v for k, v in self.entry.items() if not k.startswith("_")})

    def read_chunked(self):
        body = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return body
            body += self.rfile.read(size)
            self.rfile.readline()

    def apply_fault(self, endpoint, page, token_style):
        fault = self.state.faults.pick(endpoint, page)
        if not fault:
            return False
        e = self.entry
        e["fault"] = fault.type
        if fault.type == "delay":
            time.sleep(fault.get("seconds", 5))
            return False
        if fault.type == "expire-token":
            bearer = self.bearer()
            if bearer:
                self.state.expire(bearer)
            return False
        if fault.type == "reset":
            if fault.get("at", "request") == "body":
                e["_cut"] = bool(fault.get("rst", False))
                return False
            e["status"] = None
            self.abort(bool(fault.get("rst", False)))
        if fault.type == "malformed":
            e["_malformed"] = fault.get("how", "truncate")
            return False
        if fault.type == "redirect":
            location = fault.get("location", "https://attacker.invalid/v1.0/users")
            e["redirect"] = location
            self.send(fault.get("status", 302), b"", {"Location": location})
            return True
        if fault.type == "oversize":
            size = int(fault.get("bytes", 65 * 1024 * 1024))
            e["bytes"] = size
            self.send(200, b'{"value":[' + b" " * max(0, size - 12) + b"]}")
            return True
        # an error answer
        if fault.type == "throttle":
            status, retry = 429, fault.get("retryAfter", 1)
        elif fault.type == "unavailable":
            status, retry = fault.get("status", 503), fault.get("retryAfter")
        elif fault.type == "storm":
            status, retry = fault.get("status", 503), fault.get("retryAfter")
        else:
            status, retry = fault.get("status", 500), fault.get("retryAfter")
        headers = {"Retry-After": retry} if retry is not None else {}
        if token_style:
            if status == 429:
                self.aad_error(status, "temporarily_unavailable", 90055,
                               "TenantThrottlingError - There are too many incoming requests.", headers)
            else:
                self.aad_error(status, "temporarily_unavailable", 90033,
                               "MsodsServiceUnavailable - The Microsoft Online Directory Service (MSODS) isn't available.",
                               headers)
        else:
            code = fault.get("code") or {429: "TooManyRequests", 503: "serviceNotAvailable"}.get(status, "generalException")
            message = fault.get("message") or {429: "Too many requests.",
                                               503: "The service is temporarily unavailable. Try again later."}.get(
                status, "An unspecified error has occurred.")
            self.graph_error(status, code, message, headers)
        return True

    # -- token endpoint [CC] [CERT] [ERR] --

    def aad_error(self, status, error, code, text, headers=None):
        now = time.time()
        trace = str(uuid.uuid4())
        correlation = self.headers.get("client-request-id") or str(uuid.uuid4())
        ts = aad_timestamp(now)
        self.entry["error"] = f"AADSTS{code}"
        self.send(status, {
            "error": error,
            "error_description": f"AADSTS{code}: {text}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {ts}",
            "error_codes": [code], "timestamp": ts, "trace_id": trace, "correlation_id": correlation,
            "error_uri": f"https://login.microsoftonline.com/error?code={code}"},
            dict(headers or {}, **{"Cache-Control": "no-store, no-cache", "Pragma": "no-cache",
                                   "x-ms-request-id": trace}))

    def password_grant(self, form, tenant):
        """[ROPC] for the probe's sign-in: the password checked against the hash the sync engine
        synced. Only the grant and the user name are logged, never the password."""
        cfg = self.state.config
        self.entry["grant"] = "password"
        if tenant.lower() not in cfg.tenants:
            return self.aad_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        client_id = form.get("client_id")
        if not client_id:
            return self.aad_error(400, "invalid_request", 900144,
                                  "The request body must contain the following parameter: 'client_id'.")
        self.entry["clientId"] = client_id
        if client_id.lower() not in cfg.public_clients:
            if client_id.lower() in cfg.apps:
                return self.aad_error(401, "invalid_client", 7000218,
                                      "The request body must contain the following parameter: 'client_assertion' or "
                                      "'client_secret'.")
            return self.aad_error(400, "unauthorized_client", 700016,
                                  f"Application with identifier '{client_id}' was not found in the directory '{tenant}'.")
        username, password = form.get("username"), form.get("password")
        if not username or password is None:
            return self.aad_error(400, "invalid_request", 900144,
                                  "The request body must contain the following parameter: 'username' and 'password'.")
        self.entry["username"] = username
        engine = self.state.sync_engine
        expected = engine.hash_of(username) if engine else None
        if expected is None:
            return self.aad_error(400, "invalid_grant", 50034,
                                  f"The user account {username} does not exist in the {tenant} directory.")
        if not hmac.compare_digest(md4(password.encode("utf-16-le")), expected):
            return self.aad_error(400, "invalid_grant", 50126,
                                  "Error validating credentials due to invalid username or password.")
        self.entry["signedIn"] = True
        self.send(200, {"token_type": "Bearer", "scope": "openid profile email", "expires_in": 3599, "ext_expires_in": 3599,
                        "access_token": b64url(secrets.token_bytes(32))},
                  {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})

    def token_endpoint(self, method, tenant):
        if self.apply_fault("token", None, True):
            return
        cfg = self.state.config
        if method != "POST":
            return self.aad_error(400, "invalid_request", 900561,
                                  f"The endpoint only accepts POST requests. Received a {method} request.")
        form = dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        basic_id = basic_secret = basic_raw = None
        auth = self.headers.get("Authorization", "")
        if auth[:6].lower() == "basic ":
            try:  # RFC 6749 2.3.1: form-encoded, then base64; clients that skip the encoding are accepted too
                basic_id, _, basic_raw = base64.b64decode(auth[6:].strip(), validate=True).decode().partition(":")
                basic_id, basic_secret = unquote(basic_id.replace("+", " ")), unquote(basic_raw.replace("+", " "))
            except (ValueError, UnicodeDecodeError):
                return self.aad_error(400, "invalid_request", 90023, "InvalidRequest - The Authorization header is malformed.")
        if "grant_type" not in form:
            return self.aad_error(400, "invalid_request", 900144,
                                  "The request body must contain the following parameter: 'grant_type'.")
        if form["grant_type"] == "password":
            return self.password_grant(form, tenant)
        if form["grant_type"] != "client_credentials":
            return self.aad_error(400, "unsupported_grant_type", 70003,
                                  f"The app requested an unsupported grant type '{form['grant_type']}'.")
        if tenant.lower() not in cfg.tenants:
            return self.aad_error(400, "invalid_request", 90002,
                                  f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
                                  "and are signing into the correct cloud.")
        client_id = form.get("client_id") or basic_id
        if not client_id:
            return self.aad_error(400, "invalid_request", 900144,
                                  "The request body must contain the following parameter: 'client_id'.")
        self.entry["clientId"] = client_id
        scope = form.get("scope")
        if not scope:
            return self.aad_error(400, "invalid_request", 900144,
                                  "The request body must contain the following parameter: 'scope'.")
        if scope.strip() not in (f"{cfg.graph_resource}/.default", f"{GRAPH_APP_ID}/.default"):
            return self.aad_error(400, "invalid_scope", 70011,
                                  f"The provided value for the input parameter 'scope' is not valid. The scope {scope} "
                                  "is not valid.")
        app = cfg.apps.get(client_id.lower())
        if not app:
            return self.aad_error(400, "unauthorized_client", 700016,
                                  f"Application with identifier '{client_id}' was not found in the directory "
                                  f"'{tenant}'. This can happen if the application has not been installed by the "
                                  "administrator of the tenant or consented to by any user in the tenant. You may have "
                                  "sent your authentication request to the wrong tenant.")
        secret = form.get("client_secret", basic_secret)
        assertion = form.get("client_assertion")
        if secret is not None and (assertion is not None or "client_assertion_type" in form):
            return self.aad_error(400, "invalid_request", 90023,
                                  "InvalidRequest - The request must carry only one of 'client_assertion' or "
                                  "'client_secret'.")
        if secret is None and assertion is None:
            return self.aad_error(401, "invalid_client", 7000218,
                                  "The request body must contain the following parameter: 'client_assertion' or "
                                  "'client_secret'.")
        if secret is not None:
            self.entry["grant"] = "secret"
            offered = {secret} | ({basic_raw} if basic_raw is not None and "client_secret" not in form else set())
            if not any(hmac.compare_digest(o.encode(), s.encode()) for o in offered for s in app["secrets"]):
                return self.aad_error(401, "invalid_client", 7000215,
                                      "Invalid client secret provided. Ensure the secret being sent in the request is "
                                      "the client secret value, not the client secret ID, for a secret added to app "
                                      f"'{app['clientId']}'.")
        else:
            self.entry["grant"] = "assertion"
            if form.get("client_assertion_type") != ASSERTION_TYPE:
                return self.aad_error(400, "invalid_request", 90014,
                                      "The required field 'client_assertion_type' is missing or not "
                                      f"'{ASSERTION_TYPE}'.")
            if not self.check_assertion(app, client_id, tenant, assertion):
                return
        lifetime = app["tokenLifetime"] if app["tokenLifetime"] is not None else cfg.token_lifetime
        token = self.state.issue_token(app["clientId"], lifetime)
        expires_in = cfg.token_expires_in if cfg.token_expires_in is not None else lifetime
        body = {"token_type": "Bearer", "expires_in": expires_in, "ext_expires_in": expires_in, "access_token": token}
        how = self.entry.pop("_malformed", None)
        if how:
            return self.send_malformed(body, how)
        self.send(200, body, {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})

    def check_assertion(self, app, client_id, tenant, assertion):
        cfg = self.state.config

        def invalid_jwt(why):
            self.aad_error(401, "invalid_client", 50027, f"JWT token is invalid or malformed: {why}.")
            return False

        parts = assertion.split(".")
        if len(parts) != 3:
            return invalid_jwt("the client assertion is not a JWS compact serialization")
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
        except (ValueError, UnicodeDecodeError):
            return invalid_jwt("a part of the client assertion is not base64url JSON")
        if not isinstance(header, dict) or not isinstance(claims, dict):
            return invalid_jwt("the header or the claims are not JSON objects")
        alg = header.get("alg")
        self.entry["alg"] = alg
        if alg not in ("PS256", "RS256"):
            return invalid_jwt(f"unsupported signature algorithm '{alg}'")
        if "typ" in header and str(header["typ"]).upper() != "JWT":
            return invalid_jwt(f"typ '{header['typ']}' is not JWT")
        # the certificate, by x5t#S256 (SHA-256) or x5t (SHA-1) [CERT]
        if "x5t#S256" in header:
            digest_name, attr = "x5t#S256", "sha256"
        elif "x5t" in header:
            digest_name, attr = "x5t", "sha1"
        else:
            self.aad_error(401, "invalid_client", 90014,
                           "The required field 'x5t#S256' (or 'x5t') is missing from the credential. Ensure that you "
                           "have all the necessary parameters for the login request.")
            return False
        try:
            thumb = b64url_decode(header[digest_name])
        except (ValueError, TypeError):
            return invalid_jwt(f"{digest_name} is not base64url")
        thumb_hex = thumb.hex().upper()
        self.entry["thumbprint"] = thumb_hex
        cert = next((c for c in app["certificates"] if getattr(c, attr) == thumb), None)
        if cert is None:
            self.aad_error(401, "invalid_client", 700027,
                           "The certificate with identifier used to sign the client assertion is not registered on "
                           f"application. [Reason - The key was not found., Thumbprint of key used by client: "
                           f"'{thumb_hex}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to "
                           f"see configured keys for app Id '{app['clientId']}'.]")
            return False
        now = time.time()
        if not cert.not_before <= now <= cert.not_after:
            self.aad_error(401, "invalid_client", 700027,
                           f"Client assertion contains an invalid signature. [Reason - The key used is expired., "
                           f"Thumbprint of key used by client: '{thumb_hex}', {cert.found()}]")
            return False
        try:
            pad = (padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32) if alg == "PS256"
                   else padding.PKCS1v15())
            cert.public_key.verify(signature, f"{parts[0]}.{parts[1]}".encode(), pad, hashes.SHA256())
        except (InvalidSignature, ValueError, TypeError):
            self.aad_error(401, "invalid_client", 700027,
                           "Client assertion contains an invalid signature. [Reason - The provided signature value did "
                           f"not match the expected signature value., Thumbprint of key used by client: '{thumb_hex}', "
                           f"{cert.found()}]")
            return False
        # claims [CERT]
        for claim in cfg.required_claims:
            if claim not in claims:
                self.aad_error(401, "invalid_client", 90014,
                               f"The required field '{claim}' is missing from the credential. Ensure that you have all "
                               "the necessary parameters for the login request.")
                return False
        for claim in ("nbf", "exp", "iat"):
            if claim in claims and (not isinstance(claims[claim], (int, float)) or isinstance(claims[claim], bool)):
                return invalid_jwt(f"'{claim}' is not a number")
        if claims.get("iss") != claims.get("sub"):
            self.aad_error(401, "invalid_client", 50048,
                           "SubjectMismatchesIssuer - Subject mismatches Issuer claim in the client assertion.")
            return False
        if str(claims.get("iss", "")).lower() != client_id.lower():
            self.aad_error(401, "invalid_client", 700021,
                           "Client assertion application identifier doesn't match 'client_id' parameter. Review the "
                           "documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .")
            return False
        audiences = claims.get("aud")
        audiences = audiences if isinstance(audiences, list) else [audiences]
        accepted = {f"{self.origin()}/{t}/oauth2/v2.0/token".lower() for t in cfg.tenants | {tenant.lower()}}
        if not any(isinstance(a, str) and a.lower() in accepted for a in audiences):
            return invalid_jwt(f"the audience {audiences} is not this token endpoint ({self.origin()}/{tenant}/oauth2/v2.0/token)")
        nbf, exp = claims.get("nbf", claims.get("iat", 0)), claims.get("exp")
        skew = cfg.clock_skew
        too_long = cfg.assertion_max_lifetime and exp is not None and exp - nbf > cfg.assertion_max_lifetime
        if (exp is not None and now >= exp + skew) or now < nbf - skew or too_long:
            extra = (f" The assertion is valid for {exp - nbf:g} s; this emulator allows {cfg.assertion_max_lifetime} s "
                     "after nbf." if too_long else "")
            self.aad_error(401, "invalid_client", 700024,
                           f"Client assertion is not within its valid time range. Current time: {iso7(now)}, assertion "
                           f"valid from {iso7(nbf)}, expiry time of assertion {iso7(exp or 0)}.{extra} Review the "
                           "documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .")
            return False
        if cfg.reject_jti_reuse and "jti" in claims and not self.state.use_jti(str(claims["jti"]), exp):
            self.aad_error(401, "invalid_client", 50013,
                           f"InvalidAssertion - Assertion is invalid: the jti '{claims['jti']}' was already used "
                           "(replay).")
            return False
        return True

    # -- Graph --

    def bearer(self):
        auth = self.headers.get("Authorization", "")
        return auth[7:].strip() if auth[:7].lower() == "bearer " else None

    def filter_predicate(self):
        """The request's $filter as a predicate, None without one; raises UnsupportedQuery."""
        text = self.param("filter")
        return None if text is None else parse_filter(text)

    def unsupported_filter(self):
        return self.graph_error(400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause "
                                "specified for property or navigation property.")

    def graph_error(self, status, code, message, headers=None):
        now = time.time()
        request_id = str(uuid.uuid4())
        self.entry["error"] = code
        inner = {"date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)), "request-id": request_id,
                 "client-request-id": self.headers.get("client-request-id") or request_id}
        self.send(status, {"error": {"code": code, "message": message, "innerError": inner}},
                  dict(headers or {}, **{"request-id": request_id, "client-request-id": inner["client-request-id"]}),
                  GRAPH_CONTENT_TYPE)

    def graph_ok(self, body):
        how = self.entry.pop("_malformed", None)
        if how:
            return self.send_malformed(body, how)
        request_id = str(uuid.uuid4())
        self.send(200, body, {"request-id": request_id, "OData-Version": "4.0",
                              "client-request-id": self.headers.get("client-request-id") or request_id},
                  GRAPH_CONTENT_TYPE)

    def send_malformed(self, body, how):
        self.entry["malformed"] = how
        data = json.dumps(body).encode()
        if how == "garbage":
            data, content_type = b'{"value":[{"id":tru\x00\xff', GRAPH_CONTENT_TYPE
        elif how == "html":
            data, content_type = b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"
        else:
            data, content_type = data[:max(1, len(data) // 2)], GRAPH_CONTENT_TYPE
        self.send(200, data, {}, content_type)

    def graph(self, method, path):
        m = re.fullmatch(r"/(v1\.0|beta)(/.*)?", path)
        version, rest = m.group(1), (m.group(2) or "/").rstrip("/") or "/"
        segments = [unquote(s) for s in rest.split("/")[1:]]
        self.version = version
        route = self.route(segments)
        if route is None:
            first = segments[0] if segments else ""
            self.entry["endpoint"] = "unknown"
            return self.graph_error(400, "BadRequest", f"Resource not found for the segment '{first}'.")
        endpoint, handler = route
        self.entry["endpoint"] = endpoint
        page = None
        if segments == ["users"]:
            page = self.users_page_number()
            if page is not None:
                self.entry["page"] = page
        if self.apply_fault(endpoint, page, False):
            return
        if method != "GET":
            return self.graph_error(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
        bearer = self.bearer()
        if not bearer:
            return self.unauthorized("Access token is empty.")
        token = self.state.token(bearer)
        if token is None:
            return self.unauthorized("CompactToken parsing failed with error code: 80049217")
        self.entry["clientId"] = token["clientId"]
        if time.time() >= token["expires"]:
            return self.unauthorized("Lifetime validation failed, the token is expired.")
        if endpoint in self.state.config.forbidden or (endpoint == "onPremisesSynchronization"
                                                       and not self.state.config.ods_allow_app_only):
            return self.graph_error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        handler()

    def unauthorized(self, message):
        self.graph_error(401, "InvalidAuthenticationToken", message,
                         {"WWW-Authenticate": 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/'
                                              f'common/oauth2/authorize", client_id="{GRAPH_APP_ID}"'})

    def route(self, seg):
        n = len(seg)
        if n == 1 and seg[0] == "users":
            return "users", self.list_users
        if n == 2 and seg[0] == "users":
            return "users", lambda: self.get_user(seg[1])
        if n == 1 and seg[0] == "organization":
            return "organization", self.organization
        if n in (2, 3) and seg[:2] == ["directory", "onPremisesSynchronization"]:
            return "onPremisesSynchronization", lambda: self.on_premises_synchronization(seg[2] if n == 3 else None)
        if n in (1, 2) and seg[0] == "servicePrincipals":
            return "servicePrincipals", lambda: self.service_principals(seg[1] if n == 2 else None)
        if n in (4, 5) and seg[0] == "servicePrincipals" and seg[2:4] == ["synchronization", "jobs"]:
            return "synchronizationJobs", lambda: self.jobs(seg[1], seg[4] if n == 5 else None)
        return None

    def param(self, name):
        return self.params.get("$" + name, self.params.get(name))

    def select(self, known, type_name):
        """The $select list (canonical names), or None; raises ValueError(message) for an unknown one."""
        raw = self.param("select")
        if raw is None:
            return None
        canonical = {p.lower(): p for p in known}
        out = []
        for name in (p.strip() for p in raw.split(",")):
            if not name:
                continue
            if name.lower() not in canonical:
                raise ValueError(f"Parsing OData Select and Expand failed: Could not find a property named '{name}' "
                                 f"on type 'microsoft.graph.{type_name}'.")
            out.append(canonical[name.lower()])
        return out

    def context(self, what, select=None):
        return f"{self.origin()}/{self.version}/$metadata#{what}" + (f"({','.join(select)})" if select else "")

    # /users [LU] [PAGE]

    def users_page_number(self):
        token = self.param("skiptoken")
        if token is None:
            return 1
        try:
            offset, top = self.state.read_skiptoken(token)
        except ValueError:
            return None
        return offset // top + 1

    def list_users(self):
        cfg, source = self.state.config, self.state.config.users
        try:
            select = self.select(USER_PROPERTIES + USER_SINGLE_ONLY + sorted(source.extra), "user")
        except ValueError as e:
            return self.graph_error(400, "BadRequest", str(e))
        if select and any(p in USER_SINGLE_ONLY for p in select):
            return self.graph_error(501, "Request_NotImplemented", "This operation target is not yet supported.")
        if select and cfg.select_always_id and "id" not in select:
            select = ["id"] + select
        top_text = self.param("top")
        skiptoken = self.param("skiptoken")
        offset = 0
        if skiptoken is not None:
            try:
                offset, top = self.state.read_skiptoken(skiptoken)
            except ValueError as e:
                if str(e) == "expired":
                    return self.graph_error(400, "Directory_ExpiredPageToken", "The specified page token value has "
                                            "expired and can no longer be included in your request.")
                return self.graph_error(400, "Request_BadRequest", "Invalid skip token.")
        elif top_text is not None:
            if not re.fullmatch(r"\d+", top_text) or not 1 <= int(top_text) <= cfg.max_top:
                return self.graph_error(400, "Request_UnsupportedQuery", f"Invalid page size specified: '{top_text}'. "
                                        f"Must be between 1 and {cfg.max_top} inclusive.")
            top = int(top_text)
        else:
            top = cfg.page_size
        try:
            where = self.filter_predicate()
        except UnsupportedQuery:
            return self.unsupported_filter()
        now = time.time()
        keys = select or USER_DEFAULT_PROPERTIES
        items, more = [], False
        if where is None:
            end = min(offset + top, source.count)
            for i in range(offset, end):
                items.append(source.get(i))
            more = end < source.count
        else:  # the offset counts matching users
            seen = 0
            for i in range(source.count):
                user = source.get(i)
                if not where(resolve_times(user, now)):
                    continue
                if seen >= offset + top:
                    more = True
                    break
                if seen >= offset:
                    items.append(user)
                seen += 1
        value = []
        for user in items:
            user = resolve_times(user, now)
            value.append({k: user.get(k) for k in keys})
        body = {"@odata.context": self.context("users", select)}
        if more:
            params = [(k, v) for k, v in parse_qsl(urlsplit(self.path).query, keep_blank_values=True)
                      if k.lstrip("$").lower() != "skiptoken"]
            params.append(("$skiptoken", self.state.skiptoken(offset + top, top)))
            query = "&".join(f"{quote(k, safe='$')}={quote(v, safe=',()$')}" for k, v in params)
            body["@odata.nextLink"] = f"{self.origin()}/{self.version}/users?{query}"
        body["value"] = value
        self.graph_ok(body)

    def get_user(self, key):
        """GET /users/{id | userPrincipalName}: the properties of [LU]'s default set, or $select."""
        source = self.state.config.users
        try:
            select = self.select(USER_PROPERTIES + USER_SINGLE_ONLY + sorted(source.extra), "user")
        except ValueError as e:
            return self.graph_error(400, "BadRequest", str(e))
        user = source.find(key)
        if user is None:
            return self.not_found(key)
        user = resolve_times(user, time.time())
        body = {"@odata.context": self.context("users", select) + "/$entity"}
        body.update({k: user.get(k) for k in (select or USER_DEFAULT_PROPERTIES)})
        self.graph_ok(body)

    # /organization [ORG]

    def organization(self):
        org = dict(self.state.config.organization)
        known = ORG_PROPERTIES + [k for k in org if k not in ORG_PROPERTIES and k not in ORG_BETA_ONLY]
        if self.version == "beta":
            known += ORG_BETA_ONLY
        else:
            for k in ORG_BETA_ONLY:
                org.pop(k, None)
        try:
            select = self.select(known, "organization")
        except ValueError as e:
            return self.graph_error(400, "BadRequest", str(e))
        org = resolve_times(org, time.time())
        if select:
            org = {k: org.get(k) for k in select}
        self.graph_ok({"@odata.context": self.context("organization", select), "value": [org]})

    # /directory/onPremisesSynchronization [ODS] [ODSF]

    def on_premises_synchronization(self, ident):
        ods = self.state.config.ods
        if ident is None:
            return self.graph_ok({"@odata.context": self.context("directory/onPremisesSynchronization"), "value": [ods]})
        if ident.lower() != ods["id"].lower():
            return self.not_found(ident)
        self.graph_ok(dict({"@odata.context": self.context("directory/onPremisesSynchronization/$entity")}, **ods))

    def not_found(self, ident):
        self.graph_error(404, "Request_ResourceNotFound", f"Resource '{ident}' does not exist or one of its queried "
                         "reference-property objects are not present.")

    # /servicePrincipals [SP] [CS]

    def service_principals(self, ident):
        sps = [{k: v for k, v in sp.items() if k != "jobs"} for sp in self.state.config.service_principals]
        known = sorted({k for sp in sps for k in sp} | {"id", "appId", "displayName", "applicationTemplateId", "tags",
                                                         "accountEnabled", "servicePrincipalType"})
        try:
            select = self.select(known, "servicePrincipal")
        except ValueError as e:
            return self.graph_error(400, "BadRequest", str(e))
        project = (lambda sp: {k: sp.get(k) for k in select}) if select else (lambda sp: sp)
        if ident is not None:
            sp = next((sp for sp in sps if sp["id"].lower() == ident.lower()), None)
            if sp is None:
                return self.not_found(ident)
            return self.graph_ok(dict({"@odata.context": self.context("servicePrincipals/$entity")}, **project(sp)))
        try:
            where = self.filter_predicate()
        except UnsupportedQuery:
            return self.unsupported_filter()
        if where is not None:
            sps = [sp for sp in sps if where(sp)]
        self.graph_ok({"@odata.context": self.context("servicePrincipals", select), "value": [project(sp) for sp in sps]})

    # /servicePrincipals/{id}/synchronization/jobs [JOBS] [SJ]

    def jobs(self, sp_id, job_id):
        sp = next((sp for sp in self.state.config.service_principals if sp["id"].lower() == sp_id.lower()), None)
        if sp is None:
            return self.not_found(sp_id)
        jobs = resolve_times(sp["jobs"], time.time())
        for job in jobs:  # an execution given only its end began a minute before
            for key in ("lastExecution", "lastSuccessfulExecution", "lastSuccessfulExecutionWithExports"):
                run = job["status"].get(key)
                if isinstance(run, dict) and run.get("timeEnded") and not run.get("timeBegan"):
                    ended = time.strptime(run["timeEnded"][:19], "%Y-%m-%dT%H:%M:%S")
                    run["timeBegan"] = iso(calendar.timegm(ended) - 60)
        base = f"servicePrincipals('{sp['id']}')/synchronization/jobs"
        if job_id is None:
            return self.graph_ok({"@odata.context": self.context(base), "value": jobs})
        job = next((j for j in jobs if j["id"].lower() == job_id.lower()), None)
        if job is None:
            return self.not_found(job_id)
        self.graph_ok(dict({"@odata.context": self.context(base + "/$entity")}, **job))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port, tls, state):
        self.tls, self.state = tls, state
        super().__init__(("127.0.0.1", port), Handler)

    def server_bind(self):  # no reverse lookup of the address (HTTPServer.server_bind does one)
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    def finish_request(self, request, client_address):
        """The TLS handshake runs in the connection's thread, not in the one accepting."""
        request.settimeout(15)
        try:
            conn = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.state.log({"time": iso(time.time()), "t": round(time.time(), 3), "event": "tls-handshake-failed",
                            "error": str(e)})
            return
        try:
            conn.settimeout(None)
            self.RequestHandlerClass(conn, client_address, self)
        except (ConnectionError, ssl.SSLError, OSError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass


# --- main ----------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="HTTPS emulator of the Entra ID token endpoint and Microsoft Graph "
                                             "(see the header of this file).")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--make-cert", metavar="DIR")
    ap.add_argument("--no-serve", action="store_true", help="with --make-cert: make the certificates and exit")
    ap.add_argument("--scenario")
    ap.add_argument("--log")
    ap.add_argument("--users")
    ap.add_argument("--generate", type=int)
    ap.add_argument("--generate-base-dn")
    ap.add_argument("--generate-behind-every", type=int)
    ap.add_argument("--tenant-id")
    ap.add_argument("--client-id")
    ap.add_argument("--client-secret")
    ap.add_argument("--client-cert", action="append")
    ap.add_argument("--token-lifetime", type=int)
    ap.add_argument("--fault", action="append", metavar="ON:[PAGE]:TYPE[:k=v,...]")
    ap.add_argument("--stdin-lifeline", action="store_true")
    ap.add_argument("--lifetime", type=float, default=0)
    args = ap.parse_args()

    ca = None
    if args.make_cert:
        ca, cert, key = make_certificates(args.make_cert)
        if args.no_serve:
            print(f"CA {ca}", flush=True)
            return
        if not args.tls_cert:
            args.tls_cert, args.tls_key = cert, key
    if not args.tls_cert or not args.tls_key:
        ap.error("--tls-cert and --tls-key (or --make-cert DIR) are required")

    config = Config(args)
    state = State(config, args.log)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.minimum_version = ssl.TLSVersion.TLSv1_2
    tls.load_cert_chain(args.tls_cert, args.tls_key)
    server = Server(args.port, tls, state)
    state.sync_engine = SyncEngine(config.sync_engine, config.users, state.log) if config.sync_engine else None
    if state.sync_engine:
        state.sync_engine.start()

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.stdin_lifeline:
        def lifeline():
            while sys.stdin.buffer.read(65536):
                pass
            stop()
        threading.Thread(target=lifeline, daemon=True).start()
    if args.lifetime:
        timer = threading.Timer(args.lifetime, stop)
        timer.daemon = True
        timer.start()

    print(f"PORT {server.server_address[1]}", flush=True)
    if ca:
        print(f"CA {ca}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if state.log_file:
            state.log_file.close()


if __name__ == "__main__":
    main()
