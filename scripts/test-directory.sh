#!/usr/bin/env bash
# The test directory that everybody uses: two real Samba AD DCs of two forests (PHS.TEST and
# EMEA.TEST) and an OpenLDAP slapd with a small AD-compatible schema, all on loopback, and the
# Microsoft Graph emulator as their Entra ID tenant, provisioned from nothing into one state folder.
#
#   scripts/test-directory.sh start [samba|samba2|slapd|graph|all]  provision (first time), start
#   scripts/test-directory.sh run [samba|samba2|slapd|graph|all]    provision, serve in the
#                                         foreground (containers: there `all` is samba and slapd)
#   scripts/test-directory.sh stop [samba|samba2|slapd|graph|all]   stop (default all)
#   scripts/test-directory.sh env                            `export ...` lines for tests and demos
#   scripts/test-directory.sh status
# samba is both DCs, samba2 DC2 alone (a test stops and starts it for "one DC down").
#
# State lives in $PHS_TEST_DIR (default /tmp/phs-check-testdir); `stop` leaves it for inspection,
# `start` after `stop` reuses it. Delete the folder for fresh domains.
#
# Samba AD DC 1: realm PHS.TEST (NetBIOS PHSTEST), DC dc1.phs.test on 127.0.0.1 only (389, 636
# with a self-signed CA, 88 for Kerberos, 3268), base DN DC=phs,DC=test, simple binds refused
# without TLS as on a hardened DC; state in samba/, ticket cache krb5cc. Users:
#   OU=Staff: alice.synced (normal), bob.disabled, carol.mustchange (pwdLastSet 0),
#             dave.zeroneg (pwdLastSet 0 then -1: no new password), erin.newpw (password reset
#             after creation), frank.phsfiltered (adminDescription PHSFiltered),
#             grace.consistency (mS-DS-ConsistencyGuid set)
#   OU=Bulk:  bulk0001..bulk1100 (more than AD's 1000-entry page limit)
#             (PHS_TEST_DC_BULK=N, at most 9999, for another count: Benchmarks/run.sh uses 5000)
# Samba AD DC 2, another forest: realm EMEA.TEST (NetBIOS EMEA), DC dc2.emea.test on 127.0.0.2
# only (the same ports), base DN DC=emea,DC=test; state in samba2/, ticket cache krb5cc-emea.
# 127.0.0.2 must be on lo (`ip addr add 127.0.0.2/32 dev lo`: done here as root, else asked for)
# and dc2.emea.test must resolve to it (/etc/hosts, added here when writable). The same
# Administrator and user passwords as DC 1. Users, all userPrincipalName NAME@emea.test:
#   OU=Staff: anna.synced (normal), ben.disabled, cora.mustchange (pwdLastSet 0),
#             dirk.phsfiltered (adminDescription PHSFiltered), eva.newpw (password reset)
#   OU=Bulk:  emea001..emea050
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
# `env` prints PHS_TEST_DC_* (DC 1), PHS_TEST_DC2_* (DC 2), PHS_TEST_SLAPD_*, PHS_TEST_SCRIPT
# (this script's absolute path, for `stop samba2`/`start samba2` from tests) and PHS_TEST_DIR;
# PHS_TEST_GRAPH_URL, _CA_FILE, _TENANT_ID, _CLIENT_ID, _SECRET_FILE, _CERT_FILE, _KEY_FILE,
# _LOG, _BASE_DN and _USERS while graph runs, and always PHS_TEST_GRAPH_EMULATOR (the
# emulator's path, for tests that start emulators of their own).
set -euo pipefail

STATE=${PHS_TEST_DIR:-/tmp/phs-check-testdir}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF=$HERE/$(basename "${BASH_SOURCE[0]}")
# DC 1 (these names are its own; select_dc sets the DC_* variables the Samba functions use)
REALM=PHS.TEST
DOMAIN=PHSTEST
DNS_DOMAIN=phs.test
HOST=dc1
FQDN=$HOST.$DNS_DOMAIN
BASE_DN=DC=phs,DC=test
ADDRESS=127.0.0.1
# DC 2, another forest
REALM2=EMEA.TEST
DOMAIN2=EMEA
DNS_DOMAIN2=emea.test
HOST2=dc2
FQDN2=$HOST2.$DNS_DOMAIN2
BASE_DN2=DC=emea,DC=test
ADDRESS2=127.0.0.2
ADMIN_PASSWORD=${PHS_TEST_ADMIN_PASSWORD:-Adm1n-Pa55-$(date +%s | sha256sum | cut -c1-8)}
USER_PASSWORD=${PHS_TEST_USER_PASSWORD:-Us3r-Pa55-word!}
SLAPD_PORT=${PHS_TEST_SLAPD_PORT:-3389}
SLAPD_SIZES=${PHS_TEST_SLAPD_SIZES:-2000 20000}
SAMBA_DIR=$STATE/samba
SAMBA2_DIR=$STATE/samba2
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

# --- Samba AD DCs ---------------------------------------------------------------------------------

select_dc() { # 1 or 2: the DC that the functions below act on, in the DC_* variables
    case $1 in
        1)
            DC_DIR=$SAMBA_DIR DC_REALM=$REALM DC_DOMAIN=$DOMAIN DC_DNS_DOMAIN=$DNS_DOMAIN
            DC_HOST=$HOST DC_ADDRESS=$ADDRESS DC_BASE_DN=$BASE_DN DC_CCACHE=$STATE/krb5cc
            DC_STAFF=(alice.synced bob.disabled carol.mustchange dave.zeroneg erin.newpw frank.phsfiltered grace.consistency)
            DC_BULK_PREFIX=bulk DC_BULK_FORMAT=%04g DC_BULK_COUNT=${PHS_TEST_DC_BULK:-1100} ;;
        2)
            DC_DIR=$SAMBA2_DIR DC_REALM=$REALM2 DC_DOMAIN=$DOMAIN2 DC_DNS_DOMAIN=$DNS_DOMAIN2
            DC_HOST=$HOST2 DC_ADDRESS=$ADDRESS2 DC_BASE_DN=$BASE_DN2 DC_CCACHE=$STATE/krb5cc-emea
            DC_STAFF=(anna.synced ben.disabled cora.mustchange dirk.phsfiltered eva.newpw)
            DC_BULK_PREFIX=emea DC_BULK_FORMAT=%03g DC_BULK_COUNT=50 ;;
        *) die "no DC $1" ;;
    esac
    DC_FQDN=$DC_HOST.$DC_DNS_DOMAIN
}

ensure_loopback_address() {
    # Each DC listens on its own loopback address only (interfaces=ADDRESS, bind interfaces only):
    # Samba takes only an address that an interface has, so 127.0.0.2 must be on lo.
    need ip
    # Read whole, not piped into grep -q: with pipefail, ip killed by SIGPIPE would read as missing.
    local addresses
    addresses=$(ip -o addr show dev lo) || die "ip -o addr show dev lo failed"
    case $addresses in *" inet $DC_ADDRESS/"*) return 0 ;; esac
    [ "$(id -u)" -eq 0 ] || die "$DC_ADDRESS is not on lo (for $DC_FQDN): run 'sudo ip addr add $DC_ADDRESS/32 dev lo'"
    say "adding $DC_ADDRESS/32 to lo"
    ip addr add "$DC_ADDRESS/32" dev lo ||
        die "could not add $DC_ADDRESS to lo (a container needs the capability NET_ADMIN): run 'ip addr add $DC_ADDRESS/32 dev lo' on the host"
}

ensure_hosts_entry() {
    # The DC's certificate and Kerberos principal name (dc1.phs.test): it must resolve to its address.
    if ! getent hosts "$DC_FQDN" | awk -v a="$DC_ADDRESS" '$1 == a { found = 1 } END { exit !found }'; then
        if [ -w /etc/hosts ]; then
            printf '%s %s %s\n' "$DC_ADDRESS" "$DC_FQDN" "$DC_HOST" >> /etc/hosts
        else
            die "$DC_FQDN must resolve to $DC_ADDRESS: add '$DC_ADDRESS $DC_FQDN $DC_HOST' to /etc/hosts"
        fi
    fi
}

provision_samba() {
    # Done only once the users are in: a provisioning cut short is started again from nothing.
    [ -f "$DC_DIR/provisioned" ] && return 0
    stop_samba
    need samba samba-tool ldapadd ldapmodify kinit
    say "provisioning Samba AD DC $DC_FQDN (realm $DC_REALM) in $DC_DIR"
    rm -rf "$DC_DIR"
    mkdir -p "$DC_DIR"/{private,state,cache,lock,run,log}
    umask 077
    printf '%s\n' "$ADMIN_PASSWORD" > "$STATE/admin-password"
    printf '%s\n' "$USER_PASSWORD" > "$STATE/user-password"
    umask 022
    # vfs objects: provisioning sets sysvol ACLs; xattr_tdb keeps them out of the file system so
    # that an unprivileged container can provision too (without it, provisioning in a container
    # fails on the sysvol ACLs unless the container is privileged).
    # The socket directories are the DC's own (their defaults under /run/samba and /var/lib/samba
    # would be shared by the two DCs).
    samba-tool domain provision --realm="$DC_REALM" --domain="$DC_DOMAIN" --server-role=dc \
        --dns-backend=NONE --host-name="$DC_HOST" --adminpass="$ADMIN_PASSWORD" \
        --targetdir="$DC_DIR" \
        --option="interfaces=$DC_ADDRESS" --option="bind interfaces only=yes" \
        --option="private dir=$DC_DIR/private" --option="state directory=$DC_DIR/state" \
        --option="cache directory=$DC_DIR/cache" --option="lock directory=$DC_DIR/lock" \
        --option="pid directory=$DC_DIR/run" --option="log file=$DC_DIR/log/log.%m" \
        --option="ncalrpc dir=$DC_DIR/run/ncalrpc" --option="winbindd socket directory=$DC_DIR/run/winbindd" \
        --option="ntp signd socket directory=$DC_DIR/run/ntp_signd" \
        --option="vfs objects=dfs_samba4 acl_xattr xattr_tdb" \
        > "$DC_DIR/log/provision.log" 2>&1 || { tail -20 "$DC_DIR/log/provision.log" >&2; die "samba-tool domain provision failed"; }
    cat > "$DC_DIR/krb5.conf" <<EOF
[libdefaults]
    default_realm = $DC_REALM
    dns_lookup_kdc = false
    dns_lookup_realm = false
    rdns = false
[realms]
    $DC_REALM = {
        kdc = $DC_ADDRESS
    }
[domain_realm]
    .$DC_DNS_DOMAIN = $DC_REALM
    $DC_DNS_DOMAIN = $DC_REALM
EOF
    start_samba_process
    populate_samba
}

start_samba_process() {
    if alive "$DC_DIR/run/samba.pid" samba; then
        return 0
    fi
    # A state folder provisioned with interfaces=lo (before DC 2) would also take 127.0.0.2.
    local conf=$DC_DIR/etc/smb.conf
    if ! grep -Eq "^[[:space:]]*interfaces[[:space:]]*=[[:space:]]*${DC_ADDRESS//./\\.}[[:space:]]*$" "$conf"; then
        say "$conf: interfaces = $DC_ADDRESS"
        sed -i -E "s/^([[:space:]]*interfaces[[:space:]]*=).*$/\1 $DC_ADDRESS/" "$conf"
    fi
    say "starting Samba AD DC $DC_FQDN on $DC_ADDRESS"
    samba -s "$conf" -i --debug-stdout > "$DC_DIR/log/samba.out" 2>&1 &
    echo $! > "$DC_DIR/run/samba.pid"
    wait_for "Samba LDAPS on $DC_FQDN:636" 60 env LDAPTLS_CACERT="$DC_DIR/private/tls/ca.pem" \
        ldapsearch -x -H "ldaps://$DC_FQDN" -b "" -s base defaultNamingContext
}

samba_ldap() { # ldapadd/ldapmodify as Administrator over LDAPS
    local tool=$1; shift
    LDAPTLS_CACERT="$DC_DIR/private/tls/ca.pem" "$tool" -x -H "ldaps://$DC_FQDN" \
        -D "Administrator@$DC_DNS_DOMAIN" -y <(printf '%s' "$ADMIN_PASSWORD") "$@"
}

unicode_pwd() { # the LDIF base64 of a quoted UTF-16LE password, as AD's unicodePwd wants it
    "$PY" -c 'import base64,sys; print(base64.b64encode(("\"%s\"" % sys.argv[1]).encode("utf-16-le")).decode())' "$1"
}

staff_change() { # user, "attribute: value" (or "attribute:: base64"): one LDIF modify record
    printf 'dn: CN=%s,OU=Staff,%s\nchangetype: modify\nreplace: %s\n%s\n\n' "$1" "$DC_BASE_DN" "${2%%:*}" "$2"
}

populate_samba() {
    # The Staff users' states follow their names' suffixes: .disabled, .mustchange, .zeroneg,
    # .newpw (changed after creation, below), .phsfiltered, .consistency (set at creation).
    say "creating test users"
    local pw u i; pw=$(unicode_pwd "$USER_PASSWORD")
    {
        printf 'dn: OU=Staff,%s\nobjectClass: organizationalUnit\n\n' "$DC_BASE_DN"
        printf 'dn: OU=Bulk,%s\nobjectClass: organizationalUnit\n\n' "$DC_BASE_DN"
        for u in "${DC_STAFF[@]}"; do
            printf 'dn: CN=%s,OU=Staff,%s\nobjectClass: user\nsAMAccountName: %s\nuserPrincipalName: %s@%s\nuserAccountControl: 512\nunicodePwd:: %s\n' \
                "$u" "$DC_BASE_DN" "$u" "$u" "$DC_DNS_DOMAIN" "$pw"
            case $u in
                *.phsfiltered) printf 'adminDescription: PHSFiltered\n' ;;
                *.consistency) printf 'mS-DS-ConsistencyGuid:: %s\n' "$("$PY" -c 'import base64,uuid; print(base64.b64encode(uuid.UUID("6f1d2b0c-8a4e-4b5f-9c3d-2e7a1b9c0d11").bytes_le).decode())')" ;;
            esac
            printf '\n'
        done
        for i in $(seq -f "$DC_BULK_FORMAT" 1 "$DC_BULK_COUNT"); do
            printf 'dn: CN=%s%s,OU=Bulk,%s\nobjectClass: user\nsAMAccountName: %s%s\nuserPrincipalName: %s%s@%s\nuserAccountControl: 512\nunicodePwd:: %s\n\n' \
                "$DC_BULK_PREFIX" "$i" "$DC_BASE_DN" "$DC_BULK_PREFIX" "$i" "$DC_BULK_PREFIX" "$i" "$DC_DNS_DOMAIN" "$pw"
        done
    } > "$DC_DIR/users.ldif"
    samba_ldap ldapadd -f "$DC_DIR/users.ldif" > "$DC_DIR/log/users.log"
    for u in "${DC_STAFF[@]}"; do
        case $u in
            *.disabled) staff_change "$u" 'userAccountControl: 514' ;;
            *.mustchange) staff_change "$u" 'pwdLastSet: 0' ;;
            *.zeroneg) staff_change "$u" 'pwdLastSet: 0'; staff_change "$u" 'pwdLastSet: -1' ;;
            *.newpw) staff_change "$u" "unicodePwd:: $(unicode_pwd "$USER_PASSWORD-2")" ;;
        esac
    done > "$DC_DIR/changes.ldif"
    # Replication metadata has one-second resolution: let the clock move before the changes
    # whose order the tests read back.
    sleep 2
    samba_ldap ldapmodify -f "$DC_DIR/changes.ldif" > "$DC_DIR/log/changes.log"
    touch "$DC_DIR/provisioned"
}

kerberos_ticket() {
    # A ticket cache for GSSAPI binds, as an admin's `kinit` would leave it.
    KRB5_CONFIG="$DC_DIR/krb5.conf" KRB5CCNAME="FILE:$DC_CCACHE" \
        kinit "Administrator@$DC_REALM" < "$STATE/admin-password" > /dev/null
}

start_dc() { # 1 or 2
    select_dc "$1"
    ensure_loopback_address
    ensure_hosts_entry
    provision_samba
    start_samba_process
    kerberos_ticket
}

stop_samba() {
    stop_process "$DC_DIR/run/samba.pid" samba "Samba AD DC $DC_FQDN"
    # samba forks its services into their own process group: take any that outlived the parent.
    pkill -f "samba -s $DC_DIR/etc/smb.conf" 2>/dev/null || true
}

stop_dc() { select_dc "$1"; stop_samba; }

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
export PHS_TEST_DC2_URL='ldaps://$FQDN2'
export PHS_TEST_DC2_LDAP_URL='ldap://$FQDN2'
export PHS_TEST_DC2_CA_FILE='$SAMBA2_DIR/private/tls/ca.pem'
export PHS_TEST_DC2_BASE_DN='$BASE_DN2'
export PHS_TEST_DC2_BIND_DN='Administrator@$DNS_DOMAIN2'
export PHS_TEST_DC2_PASSWORD_FILE='$STATE/admin-password'
export PHS_TEST_DC2_USER_PASSWORD_FILE='$STATE/user-password'
export PHS_TEST_DC2_REALM='$REALM2'
export PHS_TEST_DC2_KRB5_CONFIG='$SAMBA2_DIR/krb5.conf'
export PHS_TEST_DC2_KRB5CCNAME='FILE:$STATE/krb5cc-emea'
export PHS_TEST_DC2_SMB_CONF='$SAMBA2_DIR/etc/smb.conf'
export PHS_TEST_DC2_ADDRESS='$ADDRESS2'
export PHS_TEST_SLAPD_URL='ldap://127.0.0.1:$SLAPD_PORT'
export PHS_TEST_SLAPD_PASSWORD_FILE='$STATE/admin-password'
export PHS_TEST_SLAPD_SMALL_BASE_DN='DC=small,DC=test'
export PHS_TEST_SLAPD_SMALL_USERS='${sizes[0]}'
export PHS_TEST_SLAPD_LARGE_BASE_DN='DC=large,DC=test'
export PHS_TEST_SLAPD_LARGE_USERS='${sizes[1]}'
export PHS_TEST_GRAPH_EMULATOR='$GRAPH_EMULATOR'
export PHS_TEST_SCRIPT='$SELF'
export PHS_TEST_DIR='$STATE'
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

start() { # components: samba (both DCs), samba2 (DC 2), slapd, graph or all (each of them)
    mkdir -p "$STATE"
    # The state folder's passwords: both DCs and slapd share them.
    if [ -f "$STATE/admin-password" ]; then ADMIN_PASSWORD=$(cat "$STATE/admin-password"); fi
    if [ -f "$STATE/user-password" ]; then USER_PASSWORD=$(cat "$STATE/user-password"); fi
    local what
    for what in "${@:-all}"; do
        case $what in
            samba|all) start_dc 1 ;;&
            samba|samba2|all) start_dc 2 ;;&
            slapd|all)
                provision_slapd
                start_slapd_process ;;&
            graph|all)
                provision_graph
                start_graph_process ;;
            samba|samba2|slapd) ;;
            *) die "unknown component '$what' (samba, samba2, slapd, graph or all)" ;;
        esac
    done
    say "ready; \`$0 env\` prints the variables"
}

stop() { # the same components as start; all also forgets the container's `ready`
    local what
    for what in "${@:-all}"; do
        case $what in
            samba|all) stop_dc 1 ;;&
            samba|samba2|all) stop_dc 2 ;;&
            slapd|all) stop_slapd ;;&
            graph|all) stop_graph ;;&
            all) rm -f "$STATE/ready" ;;
            samba|samba2|slapd|graph) ;;
            *) die "unknown component '$what' (samba, samba2, slapd, graph or all)" ;;
        esac
    done
}

case ${1:-} in
    start) start "${2:-all}" ;;
    run)
        # In the foreground for a container: stops cleanly on SIGTERM, even while provisioning.
        # `all` is the directories: the image has no python3-cryptography for the emulator, and
        # an emulator the host started in the shared state folder is left alone.
        what=${2:-all}
        components=("$what")
        [ "$what" != all ] || components=(samba slapd)
        trap 'stop "${components[@]}"; exit 0' TERM INT
        rm -f "$SAMBA_DIR/run/samba.pid" "$SAMBA2_DIR/run/samba.pid" "$SLAPD_DIR/run/slapd.pid"
        start "${components[@]}"
        touch "$STATE/ready"
        say "serving $what; stop with SIGTERM"
        while true; do
            case $what in samba|all) alive "$SAMBA_DIR/run/samba.pid" samba || die "samba ($FQDN) exited; see $SAMBA_DIR/log" ;; esac
            case $what in samba|samba2|all) alive "$SAMBA2_DIR/run/samba.pid" samba || die "samba ($FQDN2) exited; see $SAMBA2_DIR/log" ;; esac
            case $what in slapd|all) alive "$SLAPD_DIR/run/slapd.pid" slapd || die "slapd exited; see $SLAPD_DIR/slapd.out" ;; esac
            case $what in graph) alive "$GRAPH_DIR/emulator.pid" graph-emulator.py || die "the Microsoft Graph emulator exited; see $GRAPH_DIR/emulator.err" ;; esac
            sleep 2 & wait $!
        done ;;
    stop) stop "${2:-all}" ;;
    env) print_env ;;
    status)
        for p in "$SAMBA_DIR/run/samba.pid:samba" "$SAMBA2_DIR/run/samba.pid:samba" "$SLAPD_DIR/run/slapd.pid:slapd" "$GRAPH_DIR/emulator.pid:graph-emulator.py"; do
            if alive "${p%%:*}" "${p##*:}"; then echo "running: ${p%%:*}"; else echo "stopped: ${p%%:*}"; fi
        done ;;
    *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
