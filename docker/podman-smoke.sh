#!/usr/bin/env bash
# Proves docker/testdc.Dockerfile with Podman on a Debian 12 machine that has no image registry
# and no Docker engine (needs root):
#
#   1. installs podman, runc and debootstrap (apt-get update first) if missing;
#   2. makes the base image localhost/debian:bookworm with debootstrap --variant=minbase from the
#      Debian mirror in /etc/apt/sources.list.d (reused if present; --rebuild-base remakes it);
#   3. builds docker/testdc.Dockerfile into localhost/phs-check-testdc:smoke;
#   4. runs it as docker/compose.yaml does (host network, NET_ADMIN for 127.0.0.2, state folder
#      bind-mounted at the same path) but inside a private network namespace, so that the
#      container's loopback ports 389/636/88/3268 (on 127.0.0.1 and 127.0.0.2) do not collide
#      with a test directory already running on this host;
#   5. waits for LDAPS on both DCs, then checks inside the container (podman exec ldapsearch,
#      simple binds as Administrator@phs.test and Administrator@emea.test with the state folder's
#      password file and each DC's CA: 7 Staff and 1100 Bulk users (paged) on dc1.phs.test, 5
#      Staff and 50 Bulk users on dc2.emea.test, slapd's 2000) and from the "host" side (the
#      variables of `scripts/test-directory.sh env`: LDAPS and a GSSAPI bind with the container's
#      ticket caches, on both DCs);
#   6. stops it with SIGTERM (must exit 0), starts it again on the kept state (no new
#      provisioning), checks again, stops and removes it.
#
# --compose runs docker/compose.yaml itself instead of `podman run`: podman-compose (from PyPI,
# into a virtual environment in the temporary folder) `up -d testdc`, readiness by the service's
# own healthcheck (`podman healthcheck run`; Podman schedules healthchecks only with systemd),
# `stop`, `start`, `down`.
#
# Idempotent: a container, network namespace or temporary folder left by an earlier run is
# removed first, and everything but the images is removed on exit (--remove-images removes
# those too).
#
#   docker/podman-smoke.sh [--compose] [--rebuild-base] [--remove-images]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=docker/podman-base.sh
. docker/podman-base.sh

BASE_IMAGE=localhost/debian:bookworm
IMAGE=localhost/phs-check-testdc:smoke
NAME=phs-check-testdc-smoke
NETNS=phs-check-testdc-smoke
SUITE=bookworm
BASE_DN=DC=phs,DC=test
BASE_DN2=DC=emea,DC=test
REBUILD_BASE=false
REMOVE_IMAGES=false
COMPOSE_MODE=false
PODMAN_COMPOSE_VERSION=1.6.0 # verified
for arg in "$@"; do
    case $arg in
        --compose) COMPOSE_MODE=true ;;
        --rebuild-base) REBUILD_BASE=true ;;
        --remove-images) REMOVE_IMAGES=true ;;
        *) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done

T0=$(date +%s%3N) # milliseconds
STEP_T=$T0
TIMINGS=()
say() { printf '[podman-smoke] %s\n' "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }
secs() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); } # milliseconds -> "12.3"
lap() { # record how long the step that just ended took
    local now line; now=$(date +%s%3N)
    line=$(printf '%-48s %6s s' "$1" "$(secs $((now - STEP_T)))")
    TIMINGS+=("$line"); say "$line"
    STEP_T=$now
}

[ "$(id -u)" -eq 0 ] || die "run as root (podman as root, debootstrap, ip netns)"
# One run at a time (a pid file, not flock: the lock's descriptor would be inherited by conmon).
PIDFILE=/run/phs-podman-smoke.pid
if [ -f "$PIDFILE" ] && other=$(cat "$PIDFILE") && [ "$other" != $$ ] &&
    grep -qa podman-smoke "/proc/$other/cmdline" 2>/dev/null; then
    die "another docker/podman-smoke.sh is running (pid $other)"
fi
echo $$ > "$PIDFILE"

# --- 1. packages ----------------------------------------------------------------------------------
# podman, runc (crun fails on some hosts' cgroups), debootstrap for the base image, iproute2 and
# util-linux for the network namespace, ldap-utils for the checks.
PACKAGES=(podman runc debootstrap iproute2 util-linux ldap-utils)
if $COMPOSE_MODE; then
    PACKAGES+=(python3-venv)
    IMAGE=localhost/phs-check-testdc:latest # compose.yaml's image
    PROJECT=phs-check-smoke                 # not compose.yaml's project name phs-check
fi
install_missing "${PACKAGES[@]}"
lap "packages"

# --- clean slate and cleanup on exit -----------------------------------------------------------------
WORK=$(mktemp -d /var/tmp/phs-podman-smoke.XXXXXX)
STATE=$WORK/state
# Podman as verified on this kind of machine: no default ulimits (setting them is refused), runc.
printf '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n' > "$WORK/containers.conf"
export CONTAINERS_CONF=$WORK/containers.conf
PODMAN=(podman --runtime runc)
in_ns() { nsenter --net="/run/netns/$NETNS" "$@"; } # the container's "host" network

remove_container() {
    if $COMPOSE_MODE && [ -x "$WORK/venv/bin/podman-compose" ]; then
        compose down -t 0 >/dev/null 2>&1 || true
    fi
    local c
    for c in "$NAME" $(compose_containers); do
        if "${PODMAN[@]}" container exists "$c" 2>/dev/null; then
            "${PODMAN[@]}" rm -f -t 0 "$c" >/dev/null 2>&1 || true
        fi
    done
    if $COMPOSE_MODE && "${PODMAN[@]}" pod exists "pod_$PROJECT" 2>/dev/null; then
        "${PODMAN[@]}" pod rm -f "pod_$PROJECT" >/dev/null 2>&1 || true
    fi
}
compose_containers() { # the smoke project's containers, by podman-compose's labels
    $COMPOSE_MODE || return 0
    "${PODMAN[@]}" ps -a --filter "label=io.podman.compose.project=$PROJECT" --format '{{.Names}}' 2>/dev/null || true
}
compose() { # podman-compose on docker/compose.yaml, in the container's "host" network
    in_ns env BASE_IMAGE="$BASE_IMAGE" PHS_TEST_DIR="$STATE" \
        "$WORK/venv/bin/podman-compose" -p "$PROJECT" -f docker/compose.yaml "$@"
}
remove_netns() {
    if [ -e "/run/netns/$NETNS" ]; then ip netns delete "$NETNS" 2>/dev/null || true; fi
}
remove_work() { # [folder]
    local dir=${1:-$WORK}
    # debootstrap mounts proc and sys in its target: never delete through a mount left behind.
    awk -v w="$dir/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r |
        while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf --one-file-system "$dir"
}
cleanup() {
    local rc=$?
    if [ $rc -ne 0 ] && "${PODMAN[@]}" container exists "$NAME" 2>/dev/null; then
        say "container log (last 40 lines):"
        "${PODMAN[@]}" logs "$NAME" 2>&1 | tail -40 >&2 || true
        tail -20 "$STATE/samba/log/samba.out" 2>/dev/null >&2 || true
    fi
    remove_container
    remove_netns
    if $REMOVE_IMAGES; then # both modes' tags, and the base
        local i
        for i in localhost/phs-check-testdc:smoke localhost/phs-check-testdc:latest "$BASE_IMAGE"; do
            "${PODMAN[@]}" rmi -f "$i" >/dev/null 2>&1 || true
        done
    fi
    remove_work
    rm -f "$PIDFILE"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

remove_container
remove_netns
for old in /var/tmp/phs-podman-smoke.*; do # the pid file above: no other run uses them
    [ -d "$old" ] && [ "$old" != "$WORK" ] || continue
    say "removing $old left by an earlier run"
    remove_work "$old"
done

# --- 2. base image --------------------------------------------------------------------------------
ensure_base_image

# --- 3. build ---------------------------------------------------------------------------------------
# In --compose mode too (then tagged as compose.yaml's image, and `up --no-build`): the verified
# recipe builds with --network=host, which `podman-compose build` does not pass.
say "building $IMAGE from docker/testdc.Dockerfile"
old_image=$("${PODMAN[@]}" image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
"${PODMAN[@]}" build --network=host --build-arg BASE_IMAGE="$BASE_IMAGE" \
    --ignorefile docker/testdc.Dockerfile.dockerignore \
    -f docker/testdc.Dockerfile -t "$IMAGE" . > "$WORK/build.log" 2>&1 ||
    { tail -30 "$WORK/build.log" >&2; die "podman build failed"; }
new_image=$("${PODMAN[@]}" image inspect --format '{{.Id}}' "$IMAGE")
if [ -n "$old_image" ] && [ "$old_image" != "$new_image" ]; then
    "${PODMAN[@]}" rmi "$old_image" >/dev/null 2>&1 || true # our previous build, now untagged
fi
lap "build testdc image"

# --- 4. run -----------------------------------------------------------------------------------------
mkdir -p "$STATE"
ip netns add "$NETNS"
ip -n "$NETNS" link set lo up
if $COMPOSE_MODE; then
    if [ ! -x "$WORK/venv/bin/podman-compose" ]; then
        python3 -m venv "$WORK/venv"
        "$WORK/venv/bin/pip" install -q "podman-compose==$PODMAN_COMPOSE_VERSION" ||
            die "pip install podman-compose==$PODMAN_COMPOSE_VERSION failed"
    fi
    lap "podman-compose $PODMAN_COMPOSE_VERSION (pip, virtual environment)"
    say "podman-compose -f docker/compose.yaml up -d testdc (host network of namespace $NETNS, state $STATE)"
    compose up -d --no-build testdc > "$WORK/compose-up.log" 2>&1 ||
        { cat "$WORK/compose-up.log" >&2; die "podman-compose up failed"; }
    NAME=$(compose_containers)
    NAME=${NAME%%$'\n'*}
    [ -n "$NAME" ] || die "podman-compose made no container"
else
    say "running $NAME (host network of namespace $NETNS, state $STATE)"
    in_ns "${PODMAN[@]}" run -d --name "$NAME" --network=host --cap-add NET_ADMIN \
        --add-host dc1.phs.test:127.0.0.1 --add-host dc2.emea.test:127.0.0.2 \
        -e PHS_TEST_DIR="$STATE" -v "$STATE:$STATE" \
        "$IMAGE" > /dev/null
fi

# LDAPS as Administrator with the state folder's CA and password file; prints the DNs found.
# DC 1 (dc1.phs.test) unless DC=2 (dc2.emea.test, its own CA in samba2/).
# (ldapsearch -y takes the whole file, newline included: strip it.)
ldaps_in_container() { # base, filter
    local host=dc1.phs.test bind=Administrator@phs.test dir=samba
    if [ "${DC:-1}" = 2 ]; then host=dc2.emea.test bind=Administrator@emea.test dir=samba2; fi
    in_ns "${PODMAN[@]}" exec -e BASE="$1" -e FILTER="$2" -e HOST="$host" -e BIND="$bind" -e DIR="$dir" "$NAME" bash -c '
        LDAPTLS_CACERT="$PHS_TEST_DIR/$DIR/private/tls/ca.pem" ldapsearch -x -LLL -o nettimeout=5 \
            -H "ldaps://$HOST" -D "$BIND" \
            -y <(tr -d "\n" < "$PHS_TEST_DIR/admin-password") \
            -b "$BASE" -E pr=500/noprompt "$FILTER" dn' 2>/dev/null
}
ready() {
    if $COMPOSE_MODE; then # compose.yaml's healthcheck itself
        in_ns "${PODMAN[@]}" healthcheck run "$NAME" >/dev/null 2>&1
    else # the same test: the ticket caches the script makes once the users are in (they are
        # made after Samba first starts), and LDAPS as Administrator finding the last one, on
        # each DC
        [ -f "$STATE/krb5cc" ] && [ -f "$STATE/krb5cc-emea" ] &&
            ldaps_in_container "OU=Bulk,$BASE_DN" '(sAMAccountName=bulk1100)' | grep '^dn: CN=bulk1100,' >/dev/null &&
            DC=2 ldaps_in_container "OU=Bulk,$BASE_DN2" '(sAMAccountName=emea050)' | grep '^dn: CN=emea050,' >/dev/null
    fi
}
wait_ready() { # seconds
    local deadline=$(($(date +%s) + $1))
    while [ "$(date +%s)" -lt $deadline ]; do
        [ "$("${PODMAN[@]}" inspect --format '{{.State.Running}}' "$NAME")" = true ] ||
            die "the container exited"
        ready && return 0
        sleep 1
    done
    die "LDAPS with the test users did not come up in $1 s"
}
wait_ready 420
container_log() { "${PODMAN[@]}" logs "$NAME" 2>&1; }
provisionings() { grep -c "provisioning Samba AD DC $1" <<< "$(container_log)" || true; } # FQDN
[ "$(provisionings dc1.phs.test)" -eq 1 ] && [ "$(provisionings dc2.emea.test)" -eq 1 ] ||
    die "expected one provisioning of each DC in the log"
lap "first start: provision both DCs + users, LDAPS ready"

check_users() {
    local bulk staff
    bulk=$(ldaps_in_container "OU=Bulk,$BASE_DN" '(objectClass=user)' | grep -c '^dn: CN=bulk' || true)
    staff=$(ldaps_in_container "OU=Staff,$BASE_DN" '(objectClass=user)' | grep -c '^dn: CN=' || true)
    [ "$bulk" -eq 1100 ] || die "expected 1100 users under OU=Bulk, got $bulk"
    [ "$staff" -eq 7 ] || die "expected 7 users under OU=Staff, got $staff"
    say "inside the container (podman exec ldapsearch over LDAPS): $staff Staff users, $bulk Bulk users (paged)"
    local slapd
    slapd=$(in_ns "${PODMAN[@]}" exec "$NAME" ldapsearch -x -LLL -o nettimeout=5 -H ldap://127.0.0.1:3389 \
        -b DC=small,DC=test -E pr=500/noprompt '(&(objectCategory=person)(objectClass=user))' 1.1 | grep -c '^dn: ' || true)
    [ "$slapd" -eq 2000 ] || die "expected 2000 users in slapd's DC=small,DC=test, got $slapd"
    say "inside the container: slapd serves $slapd users under DC=small,DC=test (paged)"
    local flags
    flags=$(ldaps_in_container "OU=Staff,$BASE_DN" '(|(&(sAMAccountName=bob.disabled)(userAccountControl=514))(&(sAMAccountName=carol.mustchange)(pwdLastSet=0)))' | grep -c '^dn:' || true)
    [ "$flags" -eq 2 ] || die "bob.disabled (userAccountControl 514) or carol.mustchange (pwdLastSet 0) not as provisioned"
    # DC 2, the other forest, on 127.0.0.2
    bulk=$(DC=2 ldaps_in_container "OU=Bulk,$BASE_DN2" '(objectClass=user)' | grep -c '^dn: CN=emea' || true)
    staff=$(DC=2 ldaps_in_container "OU=Staff,$BASE_DN2" '(objectClass=user)' | grep -c '^dn: CN=' || true)
    [ "$bulk" -eq 50 ] || die "expected 50 users under OU=Bulk,$BASE_DN2, got $bulk"
    [ "$staff" -eq 5 ] || die "expected 5 users under OU=Staff,$BASE_DN2, got $staff"
    flags=$(DC=2 ldaps_in_container "OU=Staff,$BASE_DN2" '(|(&(sAMAccountName=ben.disabled)(userAccountControl=514))(&(sAMAccountName=cora.mustchange)(pwdLastSet=0))(&(sAMAccountName=dirk.phsfiltered)(adminDescription=PHSFiltered)))' | grep -c '^dn:' || true)
    [ "$flags" -eq 3 ] || die "ben.disabled, cora.mustchange or dirk.phsfiltered not as provisioned on dc2.emea.test"
    say "inside the container: dc2.emea.test (LDAPS, its own CA) serves $staff Staff users, $bulk Bulk users"
}
check_users

# The "host" side, as tests on the host see a compose-run DC: the variables of
# `scripts/test-directory.sh env` for this state folder, used from the container's network.
check_host_side() {
    if ! grep -q '^127\.0\.0\.1 ' <<< "$(getent hosts dc1.phs.test)" ||
        ! grep -q '^127\.0\.0\.2 ' <<< "$(getent hosts dc2.emea.test)"; then
        say "skipping the host-side checks: dc1.phs.test (127.0.0.1) or dc2.emea.test (127.0.0.2) does not resolve on this machine"
        return 0
    fi
    (
        eval "$(PHS_TEST_DIR=$STATE scripts/test-directory.sh env)"
        n=$(in_ns env LDAPTLS_CACERT="$PHS_TEST_DC_CA_FILE" ldapsearch -x -LLL -o nettimeout=5 \
                -H "$PHS_TEST_DC_URL" -D "$PHS_TEST_DC_BIND_DN" \
                -y <(tr -d '\n' < "$PHS_TEST_DC_PASSWORD_FILE") \
                -b "OU=Bulk,$PHS_TEST_DC_BASE_DN" -E pr=500/noprompt '(objectClass=user)' dn |
            grep -c '^dn: CN=bulk' || true)
        [ "$n" -eq 1100 ] || die "host side: expected 1100 Bulk users over $PHS_TEST_DC_URL, got $n"
        n2=$(in_ns env LDAPTLS_CACERT="$PHS_TEST_DC2_CA_FILE" ldapsearch -x -LLL -o nettimeout=5 \
                -H "$PHS_TEST_DC2_URL" -D "$PHS_TEST_DC2_BIND_DN" \
                -y <(tr -d '\n' < "$PHS_TEST_DC2_PASSWORD_FILE") \
                -b "OU=Bulk,$PHS_TEST_DC2_BASE_DN" '(objectClass=user)' dn |
            grep -c '^dn: CN=emea' || true)
        [ "$n2" -eq 50 ] || die "host side: expected 50 Bulk users over $PHS_TEST_DC2_URL, got $n2"
        msg="host side (scripts/test-directory.sh env): $n Bulk users over $PHS_TEST_DC_URL, $n2 over $PHS_TEST_DC2_URL"
        if ls /usr/lib/*/sasl2/libgssapiv2.so >/dev/null 2>&1; then # libsasl2-modules-gssapi-mit
            out=$(in_ns env KRB5_CONFIG="$PHS_TEST_DC_KRB5_CONFIG" KRB5CCNAME="$PHS_TEST_DC_KRB5CCNAME" \
                ldapsearch -N -Y GSSAPI -o nettimeout=5 -H "$PHS_TEST_DC_LDAP_URL" -b '' -s base defaultNamingContext 2>&1) ||
                die "host side: GSSAPI bind with the container's ticket cache failed: $out"
            grep -q 'SASL SSF: 256' <<< "$out" || die "host side: GSSAPI bind without a sealed session: $out"
            out=$(in_ns env KRB5_CONFIG="$PHS_TEST_DC2_KRB5_CONFIG" KRB5CCNAME="$PHS_TEST_DC2_KRB5CCNAME" \
                ldapsearch -N -Y GSSAPI -o nettimeout=5 -H "$PHS_TEST_DC2_LDAP_URL" -b "$PHS_TEST_DC2_BASE_DN" \
                '(sAMAccountName=anna.synced)' dn 2>&1) ||
                die "host side: GSSAPI bind to dc2.emea.test with the container's ticket cache failed: $out"
            grep -q 'SASL SSF: 256' <<< "$out" && grep -q '^dn: CN=anna.synced,' <<< "$out" ||
                die "host side: GSSAPI search on dc2.emea.test without a sealed session or anna.synced: $out"
            msg="$msg; GSSAPI binds with the container's ticket caches (both realms), SSF 256"
        fi
        say "$msg"
    )
}
check_host_side
lap "checks"

# --- 5. SIGTERM, restart on the kept state ------------------------------------------------------
stop_container() {
    if $COMPOSE_MODE; then
        compose stop testdc > /dev/null 2>&1 || die "podman-compose stop failed"
    else
        "${PODMAN[@]}" stop -t 30 "$NAME" > /dev/null
    fi
}
stop_container
code=$("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' "$NAME")
[ "$code" -eq 0 ] || die "the container exited with $code on SIGTERM (expected 0)"
grep -q 'stopping Samba' <<< "$(container_log)" || die "Samba was not stopped by the script"
say "SIGTERM: the script stopped Samba, exit code 0"
lap "stop (SIGTERM)"

if $COMPOSE_MODE; then
    compose start testdc > /dev/null 2>&1 || die "podman-compose start failed"
else
    in_ns "${PODMAN[@]}" start "$NAME" > /dev/null
fi
wait_ready 120
[ "$(provisionings dc1.phs.test)" -eq 1 ] && [ "$(provisionings dc2.emea.test)" -eq 1 ] ||
    die "the restart provisioned again instead of reusing the state folder"
lap "restart on the kept state, LDAPS ready"
check_users
stop_container
[ "$("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' "$NAME")" -eq 0 ] || die "non-zero exit on the second SIGTERM"
remove_container
lap "second checks, stop, remove"

say "timings:"
for t in "${TIMINGS[@]}"; do say "  $t"; done
say "  $(printf '%-48s %6s s' total "$(secs $(($(date +%s%3N) - T0)))")"
say "PASSED"
