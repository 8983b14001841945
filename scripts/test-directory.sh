#!/usr/bin/env bash
# The test directory that everybody uses: a real Samba AD DC and an OpenLDAP slapd with a small
# AD-compatible schema, both on loopback, and the Microsoft Graph emulator as their Entra ID
# tenant, provisioned from nothing into one state folder.
#
#   scripts/test-directory.sh start [samba|slapd|graph|all]  provision (first time) and start
#   scripts/test-directory.sh run [samba|slapd|graph|all]    provision and serve in the foreground
#                                              (containers: there `all` is samba and slapd only)
#   scripts/test-directory.sh stop                           stop what was started
#   scripts/test-directory.sh env                            `export ...` lines for tests and demos
#   scripts/test-directory.sh status
#
# State lives in $PHS_TEST_DIR (default /tmp/phs-check-testdir); `stop` leaves it for inspection,
# `start` after `stop` reuses it. Delete the folder for a fresh domain.
#
# Samba AD DC: realm PHS.TEST, DC dc1.phs.test on 127.0.0.1 (389, 636 with a self-signed CA,
# 88 for Kerberos, 3268), simple binds refused without TLS as on a hardened DC. Users:
#   OU=Staff: alice.synced (normal), bob.disabled, carol.mustchange (pwdLastSet 0),
#             dave.zeroneg (pwdLastSet 0 then -1: no new password), erin.newpw (password reset
#             after creation), frank.phsfiltered (adminDescription PHSFiltered),
#             grace.consistency (mS-DS-ConsistencyGuid set)
#   OU=Bulk:  bulk0001..bulk1100 (more than AD's 1000-entry page limit)
# slapd: 127.0.0.1:3389, suffixes DC=small,DC=test and DC=large,DC=test with
# $PHS_TEST_SLAPD_SIZES users (default "2000 20000"), loaded with slapadd, for scale tests.
# GSSAPI clients must not canonicalise the host name (ldapsearch -N, LDAP_OPT_X_SASL_NOCANON):
# 127.0.0.1 reverse-resolves to localhost.
# graph: the Microsoft Graph emulator scripts/graph-emulator.py (Debian's python3 and
# python3-cryptography) on https://127.0.0.1:<a free port>, its server certificate signed by
# graph/certs/ca.pem. Tenant 5c5b3d2e-1f4a-4c8e-9a7b-2d6e8f0a1b3c (alias phs-test.onmicrosoft.com),
# one app 0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b signing in with the client secret in
# graph/client-secret or the certificate graph/certs/app.pem (key app-key.pem). Its users are the
# cloud side of slapd's DC=small,DC=test (--generate: the same users, objectGUIDs and SIDs); the
# organization and one Cloud Sync service principal (jobs AD2AADProvisioning, AD2AADPasswordHash)
# say that sync and PHS ran minutes ago. Also in $PHS_TEST_DIR/graph: scenario.json (written at
# each start), port, requests.jsonl (the request log, appended to), emulator.out, emulator.err.
# `env` prints PHS_TEST_GRAPH_URL, _CA_FILE, _TENANT_ID, _CLIENT_ID, _SECRET_FILE, _CERT_FILE,
# _KEY_FILE, _LOG, _BASE_DN and _USERS while graph runs, and always PHS_TEST_GRAPH_EMULATOR (the
# emulator's path, for tests that start emulators of their own).
set -euo pipefail

STATE=${PHS_TEST_DIR:-/tmp/phs-check-testdir}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REALM=PHS.TEST
DOMAIN=PHSTEST
DNS_DOMAIN=phs.test
HOST=dc1
FQDN=$HOST.$DNS_DOMAIN
BASE_DN=DC=phs,DC=test
ADMIN_PASSWORD=${PHS_TEST_ADMIN_PASSWORD:-Adm1n-Pa55-$(date +%s | sha256sum | cut -c1-8)}
USER_PASSWORD=${PHS_TEST_USER_PASSWORD:-Us3r-Pa55-word!}
SLAPD_PORT=${PHS_TEST_SLAPD_PORT:-3389}
SLAPD_SIZES=${PHS_TEST_SLAPD_SIZES:-2000 20000}
SAMBA_DIR=$STATE/samba
SLAPD_DIR=$STATE/slapd
GRAPH_DIR=$STATE/graph
GRAPH_EMULATOR=$HERE/graph-emulator.py
GRAPH_TENANT_ID=5c5b3d2e-1f4a-4c8e-9a7b-2d6e8f0a1b3c
GRAPH_CLIENT_ID=0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b
GRAPH_BASE_DN=DC=small,DC=test # the tenant holds the cloud side of slapd's small directory
CLOUD_SYNC_TEMPLATE_ID=1a4721b3-e57f-4451-ae87-ef078703ec94
PY=/usr/bin/python3 # Debian's Python: the one samba-tool runs on

# A pid file whose process still runs that program (a pid left from an earlier boot or session
# may since belong to something else).
alive() { # pidfile, program
    local pid
    [ -f "$1" ] && pid=$(cat "$1") && [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "$2"
}

say() { printf '[test-directory] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

need() {
    local missing=()
    for cmd in "$@"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd"); done
    [ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}: run scripts/install-deps.sh (Debian packages) first"
}

wait_for() { # description, tries, command...
    local what=$1 tries=$2; shift 2
    for _ in $(seq 1 "$tries"); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.5
    done
    die "$what did not come up; see the logs in $STATE"
}

# --- Samba AD DC ----------------------------------------------------------------------------------

ensure_hosts_entry() {
    # The DC's certificate and Kerberos principal name dc1.phs.test: it must resolve to loopback.
    if ! getent hosts "$FQDN" | grep -q '^127\.0\.0\.1'; then
        if [ -w /etc/hosts ]; then
            printf '127.0.0.1 %s %s\n' "$FQDN" "$HOST" >> /etc/hosts
        else
            die "$FQDN must resolve to 127.0.0.1: add '127.0.0.1 $FQDN $HOST' to /etc/hosts"
        fi
    fi
}

provision_samba() {
    # Done only once the users are in: a provisioning cut short is started again from nothing.
    [ -f "$SAMBA_DIR/provisioned" ] && return 0
    stop_samba
    need samba samba-tool ldapadd ldapmodify kinit
    say "provisioning Samba AD DC $FQDN (realm $REALM) in $SAMBA_DIR"
    rm -rf "$SAMBA_DIR"
    mkdir -p "$SAMBA_DIR"/{private,state,cache,lock,run,log}
    umask 077
    printf '%s\n' "$ADMIN_PASSWORD" > "$STATE/admin-password"
    printf '%s\n' "$USER_PASSWORD" > "$STATE/user-password"
    umask 022
    # vfs objects: provisioning sets sysvol ACLs; xattr_tdb keeps them out of the file system so
    # that an unprivileged container can provision too (without it, provisioning in a container
    # fails on the sysvol ACLs unless the container is privileged).
    samba-tool domain provision --realm="$REALM" --domain="$DOMAIN" --server-role=dc \
        --dns-backend=NONE --host-name="$HOST" --adminpass="$ADMIN_PASSWORD" \
        --targetdir="$SAMBA_DIR" \
        --option="interfaces=lo" --option="bind interfaces only=yes" \
        --option="private dir=$SAMBA_DIR/private" --option="state directory=$SAMBA_DIR/state" \
        --option="cache directory=$SAMBA_DIR/cache" --option="lock directory=$SAMBA_DIR/lock" \
        --option="pid directory=$SAMBA_DIR/run" --option="log file=$SAMBA_DIR/log/log.%m" \
        --option="vfs objects=dfs_samba4 acl_xattr xattr_tdb" \
        > "$SAMBA_DIR/log/provision.log" 2>&1 || { tail -20 "$SAMBA_DIR/log/provision.log" >&2; die "samba-tool domain provision failed"; }
    cat > "$SAMBA_DIR/krb5.conf" <<EOF
[libdefaults]
    default_realm = $REALM
    dns_lookup_kdc = false
    dns_lookup_realm = false
    rdns = false
[realms]
    $REALM = {
        kdc = 127.0.0.1
    }
[domain_realm]
    .$DNS_DOMAIN = $REALM
    $DNS_DOMAIN = $REALM
EOF
    start_samba_process
    populate_samba
}

start_samba_process() {
    if alive "$SAMBA_DIR/run/samba.pid" samba; then
        return 0
    fi
    say "starting Samba AD DC on 127.0.0.1"
    samba -s "$SAMBA_DIR/etc/smb.conf" -i --debug-stdout > "$SAMBA_DIR/log/samba.out" 2>&1 &
    echo $! > "$SAMBA_DIR/run/samba.pid"
    wait_for "Samba LDAPS on $FQDN:636" 60 env LDAPTLS_CACERT="$SAMBA_DIR/private/tls/ca.pem" \
        ldapsearch -x -H "ldaps://$FQDN" -b "" -s base defaultNamingContext
}

samba_ldap() { # ldapadd/ldapmodify as Administrator over LDAPS
    local tool=$1; shift
    LDAPTLS_CACERT="$SAMBA_DIR/private/tls/ca.pem" "$tool" -x -H "ldaps://$FQDN" \
        -D "Administrator@$DNS_DOMAIN" -y <(printf '%s' "$ADMIN_PASSWORD") "$@"
}

unicode_pwd() { # the LDIF base64 of a quoted UTF-16LE password, as AD's unicodePwd wants it
    "$PY" -c 'import base64,sys; print(base64.b64encode(("\"%s\"" % sys.argv[1]).encode("utf-16-le")).decode())' "$1"
}

populate_samba() {
    say "creating test users"
    local pw; pw=$(unicode_pwd "$USER_PASSWORD")
    {
        printf 'dn: OU=Staff,%s\nobjectClass: organizationalUnit\n\n' "$BASE_DN"
        printf 'dn: OU=Bulk,%s\nobjectClass: organizationalUnit\n\n' "$BASE_DN"
        for u in alice.synced bob.disabled carol.mustchange dave.zeroneg erin.newpw frank.phsfiltered grace.consistency; do
            printf 'dn: CN=%s,OU=Staff,%s\nobjectClass: user\nsAMAccountName: %s\nuserPrincipalName: %s@%s\nuserAccountControl: 512\nunicodePwd:: %s\n' \
                "$u" "$BASE_DN" "$u" "$u" "$DNS_DOMAIN" "$pw"
            case $u in
                frank.phsfiltered) printf 'adminDescription: PHSFiltered\n' ;;
                grace.consistency) printf 'mS-DS-ConsistencyGuid:: %s\n' "$("$PY" -c 'import base64,uuid; print(base64.b64encode(uuid.UUID("6f1d2b0c-8a4e-4b5f-9c3d-2e7a1b9c0d11").bytes_le).decode())')" ;;
            esac
            printf '\n'
        done
        for i in $(seq -f '%04g' 1 1100); do
            printf 'dn: CN=bulk%s,OU=Bulk,%s\nobjectClass: user\nsAMAccountName: bulk%s\nuserPrincipalName: bulk%s@%s\nuserAccountControl: 512\nunicodePwd:: %s\n\n' \
                "$i" "$BASE_DN" "$i" "$i" "$DNS_DOMAIN" "$pw"
        done
    } > "$SAMBA_DIR/users.ldif"
    samba_ldap ldapadd -f "$SAMBA_DIR/users.ldif" > "$SAMBA_DIR/log/users.log"
    # Replication metadata has one-second resolution: let the clock move before the changes
    # whose order the tests read back.
    sleep 2
    samba_ldap ldapmodify > "$SAMBA_DIR/log/changes.log" <<EOF
dn: CN=bob.disabled,OU=Staff,$BASE_DN
changetype: modify
replace: userAccountControl
userAccountControl: 514

dn: CN=carol.mustchange,OU=Staff,$BASE_DN
changetype: modify
replace: pwdLastSet
pwdLastSet: 0

dn: CN=dave.zeroneg,OU=Staff,$BASE_DN
changetype: modify
replace: pwdLastSet
pwdLastSet: 0

dn: CN=dave.zeroneg,OU=Staff,$BASE_DN
changetype: modify
replace: pwdLastSet
pwdLastSet: -1

dn: CN=erin.newpw,OU=Staff,$BASE_DN
changetype: modify
replace: unicodePwd
unicodePwd:: $(unicode_pwd "$USER_PASSWORD-2")
EOF
    touch "$SAMBA_DIR/provisioned"
}

stop_samba() {
    stop_process "$SAMBA_DIR/run/samba.pid" samba Samba
    # samba forks its services into their own process group: take any that outlived the parent.
    pkill -f "samba -s $SAMBA_DIR/etc/smb.conf" 2>/dev/null || true
}

# --- slapd ----------------------------------------------------------------------------------------

provision_slapd() {
    [ -f "$SLAPD_DIR/provisioned" ] && return 0
    stop_slapd
    need slapd slapadd
    say "provisioning slapd with AD-compatible users ($SLAPD_SIZES) in $SLAPD_DIR"
    rm -rf "$SLAPD_DIR"
    mkdir -p "$SLAPD_DIR/run"
    local sizes=($SLAPD_SIZES) names=(small large)
    {
        cat <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include $HERE/slapd/ad-lite.schema
pidfile $SLAPD_DIR/run/slapd.pid
argsfile $SLAPD_DIR/run/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
# Like AD's MaxPageSize: at most 1000 entries a search, any number through the paged results control.
sizelimit size.soft=1000 size.hard=1000 size.pr=1000 size.prtotal=unlimited
EOF
        for i in 0 1; do
            local name=${names[$i]}
            mkdir -p "$SLAPD_DIR/db-$name"
            cat <<EOF

database mdb
maxsize 4294967296
suffix "DC=$name,DC=test"
rootdn "CN=admin,DC=$name,DC=test"
rootpw $(cat "$STATE/admin-password" 2>/dev/null || printf '%s' "$ADMIN_PASSWORD")
directory $SLAPD_DIR/db-$name
index objectClass eq
EOF
        done
    } > "$SLAPD_DIR/slapd.conf"
    [ -f "$STATE/admin-password" ] || { umask 077; printf '%s\n' "$ADMIN_PASSWORD" > "$STATE/admin-password"; umask 022; }
    for i in 0 1; do
        "$PY" "$HERE/slapd/generate-users.py" "DC=${names[$i]},DC=test" "${sizes[$i]}" > "$SLAPD_DIR/${names[$i]}.ldif"
        slapadd -q -f "$SLAPD_DIR/slapd.conf" -b "DC=${names[$i]},DC=test" -l "$SLAPD_DIR/${names[$i]}.ldif"
    done
    touch "$SLAPD_DIR/provisioned"
}

start_slapd_process() {
    if alive "$SLAPD_DIR/run/slapd.pid" slapd; then
        return 0
    fi
    say "starting slapd on 127.0.0.1:$SLAPD_PORT"
    slapd -f "$SLAPD_DIR/slapd.conf" -h "ldap://127.0.0.1:$SLAPD_PORT/" > "$SLAPD_DIR/slapd.out" 2>&1
    wait_for "slapd on 127.0.0.1:$SLAPD_PORT" 40 ldapsearch -x -H "ldap://127.0.0.1:$SLAPD_PORT" -b "" -s base
}

stop_slapd() {
    stop_process "$SLAPD_DIR/run/slapd.pid" slapd slapd
}

# --- Microsoft Graph emulator ---------------------------------------------------------------------

small_users() { local sizes=($SLAPD_SIZES); printf '%s' "${sizes[0]}"; }

provision_graph() {
    need openssl
    "$PY" -c 'import cryptography' 2>/dev/null \
        || die "missing python3-cryptography for $PY: run scripts/install-deps.sh (Debian packages) first"
    mkdir -p "$GRAPH_DIR"
    # The certificates last 30 days: a state folder kept longer gets new ones.
    local c
    for c in ca server app; do
        [ -f "$GRAPH_DIR/certs/$c.pem" ] || continue
        openssl x509 -checkend 86400 -noout -in "$GRAPH_DIR/certs/$c.pem" >/dev/null 2>&1 || {
            say "the graph emulator's certificates expire; making new ones"
            rm -rf "$GRAPH_DIR/certs"
            break
        }
    done
    if ! [ -f "$GRAPH_DIR/certs/ca.pem" ] || ! [ -f "$GRAPH_DIR/certs/server-key.pem" ] || ! [ -f "$GRAPH_DIR/certs/app-key.pem" ]; then
        say "making the graph emulator's certificates in $GRAPH_DIR/certs"
        "$PY" "$GRAPH_EMULATOR" --make-cert "$GRAPH_DIR/certs" --no-serve > /dev/null 2> "$GRAPH_DIR/make-cert.err" \
            || { cat "$GRAPH_DIR/make-cert.err" >&2; die "graph-emulator.py --make-cert failed"; }
    fi
    chmod 600 "$GRAPH_DIR"/certs/*-key.pem
    if ! [ -s "$GRAPH_DIR/client-secret" ]; then
        umask 077
        printf '%s\n' "$(head -c 30 /dev/urandom | base64 -w0)" > "$GRAPH_DIR/client-secret"
        umask 022
    fi
    chmod 600 "$GRAPH_DIR/client-secret"
    # Written on every start: the secret and the certificate's path are this folder's.
    cat > "$GRAPH_DIR/scenario.json" <<EOF
{
  "tenantId": "$GRAPH_TENANT_ID",
  "tenantAliases": ["phs-test.onmicrosoft.com"],
  "apps": [{"clientId": "$GRAPH_CLIENT_ID",
            "secrets": ["$(head -1 "$GRAPH_DIR/client-secret")"],
            "certificates": ["$GRAPH_DIR/certs/app.pem"],
            "tokenLifetime": 3599}],
  "organization": {"displayName": "PHS test tenant", "onPremisesSyncEnabled": true,
                   "onPremisesLastSyncDateTime": "now-20m", "onPremisesLastPasswordSyncDateTime": "now-2m"},
  "servicePrincipals": [{"displayName": "small.test", "applicationTemplateId": "$CLOUD_SYNC_TEMPLATE_ID",
                         "jobs": [
      {"templateId": "AD2AADProvisioning",
       "status": {"lastSuccessfulExecution": {"state": "Succeeded", "timeEnded": "now-5m"}}},
      {"templateId": "AD2AADPasswordHash",
       "status": {"lastSuccessfulExecution": {"state": "Succeeded", "timeEnded": "now-3m"}}}]}]
}
EOF
}

graph_started() { # the emulator printed its port, or it is gone
    grep -q '^PORT ' "$GRAPH_DIR/emulator.out" 2>/dev/null || ! kill -0 "$(cat "$GRAPH_DIR/emulator.pid")" 2>/dev/null
}

start_graph_process() {
    if alive "$GRAPH_DIR/emulator.pid" graph-emulator.py; then
        return 0
    fi
    say "starting the Microsoft Graph emulator on 127.0.0.1 ($(small_users) users of $GRAPH_BASE_DN)"
    # Emptied first: a PORT line left from the last run must not pass for this one's.
    rm -f "$GRAPH_DIR/port" "$GRAPH_DIR/emulator.out" "$GRAPH_DIR/emulator.err"
    # Its own session and no standard input: it outlives this script and the caller's terminal.
    setsid "$PY" "$GRAPH_EMULATOR" --make-cert "$GRAPH_DIR/certs" --port 0 \
        --scenario "$GRAPH_DIR/scenario.json" --log "$GRAPH_DIR/requests.jsonl" \
        --generate "$(small_users)" --generate-base-dn "$GRAPH_BASE_DN" \
        < /dev/null > "$GRAPH_DIR/emulator.out" 2> "$GRAPH_DIR/emulator.err" &
    echo $! > "$GRAPH_DIR/emulator.pid"
    wait_for "the Microsoft Graph emulator" 60 graph_started
    grep -q '^PORT ' "$GRAPH_DIR/emulator.out" || {
        tail -5 "$GRAPH_DIR/emulator.err" >&2
        rm -f "$GRAPH_DIR/emulator.pid"
        die "the Microsoft Graph emulator exited; see $GRAPH_DIR/emulator.err"
    }
    awk '/^PORT /{print $2; exit}' "$GRAPH_DIR/emulator.out" > "$GRAPH_DIR/port"
}

stop_graph() {
    stop_process "$GRAPH_DIR/emulator.pid" graph-emulator.py "the Microsoft Graph emulator"
    rm -f "$GRAPH_DIR/port" # a new one each start
}

stop_process() { # pidfile, program, name: TERM, then KILL after 10 s; never a pid reused by another program
    local pid
    if alive "$1" "$2"; then
        pid=$(cat "$1")
        say "stopping $3 (pid $pid)"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$1"
}

# --- commands -------------------------------------------------------------------------------------

print_env() {
    local sizes=($SLAPD_SIZES)
    cat <<EOF
export PHS_TEST_DC_URL='ldaps://$FQDN'
export PHS_TEST_DC_LDAP_URL='ldap://$FQDN'
export PHS_TEST_DC_CA_FILE='$SAMBA_DIR/private/tls/ca.pem'
export PHS_TEST_DC_BASE_DN='$BASE_DN'
export PHS_TEST_DC_BIND_DN='Administrator@$DNS_DOMAIN'
export PHS_TEST_DC_PASSWORD_FILE='$STATE/admin-password'
export PHS_TEST_DC_USER_PASSWORD_FILE='$STATE/user-password'
export PHS_TEST_DC_REALM='$REALM'
export PHS_TEST_DC_KRB5_CONFIG='$SAMBA_DIR/krb5.conf'
export PHS_TEST_DC_KRB5CCNAME='FILE:$STATE/krb5cc'
export PHS_TEST_DC_SMB_CONF='$SAMBA_DIR/etc/smb.conf'
export PHS_TEST_SLAPD_URL='ldap://127.0.0.1:$SLAPD_PORT'
export PHS_TEST_SLAPD_PASSWORD_FILE='$STATE/admin-password'
export PHS_TEST_SLAPD_SMALL_BASE_DN='DC=small,DC=test'
export PHS_TEST_SLAPD_SMALL_USERS='${sizes[0]}'
export PHS_TEST_SLAPD_LARGE_BASE_DN='DC=large,DC=test'
export PHS_TEST_SLAPD_LARGE_USERS='${sizes[1]}'
export PHS_TEST_GRAPH_EMULATOR='$GRAPH_EMULATOR'
EOF
    if [ -f "$GRAPH_DIR/port" ]; then
        cat <<EOF
export PHS_TEST_GRAPH_URL='https://127.0.0.1:$(cat "$GRAPH_DIR/port")'
export PHS_TEST_GRAPH_CA_FILE='$GRAPH_DIR/certs/ca.pem'
export PHS_TEST_GRAPH_TENANT_ID='$GRAPH_TENANT_ID'
export PHS_TEST_GRAPH_CLIENT_ID='$GRAPH_CLIENT_ID'
export PHS_TEST_GRAPH_SECRET_FILE='$GRAPH_DIR/client-secret'
export PHS_TEST_GRAPH_CERT_FILE='$GRAPH_DIR/certs/app.pem'
export PHS_TEST_GRAPH_KEY_FILE='$GRAPH_DIR/certs/app-key.pem'
export PHS_TEST_GRAPH_LOG='$GRAPH_DIR/requests.jsonl'
export PHS_TEST_GRAPH_BASE_DN='$GRAPH_BASE_DN'
export PHS_TEST_GRAPH_USERS='${sizes[0]}'
EOF
    fi
}

kerberos_ticket() {
    # A ticket cache for GSSAPI binds, as an admin's `kinit` would leave it.
    KRB5_CONFIG="$SAMBA_DIR/krb5.conf" KRB5CCNAME="FILE:$STATE/krb5cc" \
        kinit "Administrator@$REALM" < "$STATE/admin-password" > /dev/null
}

start() { # components: samba, slapd, graph or all (each of them)
    mkdir -p "$STATE"
    if [ -f "$STATE/admin-password" ]; then ADMIN_PASSWORD=$(cat "$STATE/admin-password"); fi
    local what
    for what in "${@:-all}"; do
        case $what in
            samba|all)
                ensure_hosts_entry
                provision_samba
                start_samba_process
                kerberos_ticket ;;&
            slapd|all)
                provision_slapd
                start_slapd_process ;;&
            graph|all)
                provision_graph
                start_graph_process ;;
            samba|slapd) ;;
            *) die "unknown component '$what' (samba, slapd, graph or all)" ;;
        esac
    done
    say "ready; \`$0 env\` prints the variables"
}

case ${1:-} in
    start) start "${2:-all}" ;;
    run)
        # In the foreground for a container: stops cleanly on SIGTERM, even while provisioning.
        # `all` is the directories: the image has no python3-cryptography for the emulator, and
        # an emulator the host started in the shared state folder is left alone.
        what=${2:-all}
        trap 'stop_samba; stop_slapd; [ "$what" != graph ] || stop_graph; exit 0' TERM INT
        rm -f "$SAMBA_DIR/run/samba.pid" "$SLAPD_DIR/run/slapd.pid"
        if [ "$what" = all ]; then start samba slapd; else start "$what"; fi
        touch "$STATE/ready"
        say "serving $what; stop with SIGTERM"
        while true; do
            case $what in samba|all) alive "$SAMBA_DIR/run/samba.pid" samba || die "samba exited; see $SAMBA_DIR/log" ;; esac
            case $what in slapd|all) alive "$SLAPD_DIR/run/slapd.pid" slapd || die "slapd exited; see $SLAPD_DIR/slapd.out" ;; esac
            case $what in graph) alive "$GRAPH_DIR/emulator.pid" graph-emulator.py || die "the Microsoft Graph emulator exited; see $GRAPH_DIR/emulator.err" ;; esac
            sleep 2 & wait $!
        done ;;
    stop) stop_samba; stop_slapd; stop_graph; rm -f "$STATE/ready" ;;
    env) print_env ;;
    status)
        for p in "$SAMBA_DIR/run/samba.pid:samba" "$SLAPD_DIR/run/slapd.pid:slapd" "$GRAPH_DIR/emulator.pid:graph-emulator.py"; do
            if alive "${p%%:*}" "${p##*:}"; then echo "running: ${p%%:*}"; else echo "stopped: ${p%%:*}"; fi
        done ;;
    *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
