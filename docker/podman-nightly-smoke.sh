#!/usr/bin/env bash
# Proves the nightly run end to end with Podman on a Debian 12 machine that has no image
# registry (needs root): phs-check's image (docker/Dockerfile), compose.yaml's nightly-check
# service against the test DC, and the systemd units of Config/systemd/ running under a real
# systemd against the same DC.
#
#   1. installs podman, runc, debootstrap, iproute2, util-linux (apt-get update first) if missing;
#   2. makes the base image localhost/debian:bookworm with debootstrap (reused if present);
#   3. builds phs-check's image: by default the target runtime-prebuilt from a release binary
#      built here (swift build -c release --static-swift-stdlib, scratch path .build-nightly);
#      with --full-build the default target (runtime), whose build stage compiles phs-check in
#      a container from the committed tree (git archive HEAD): SWIFT_IMAGE is then a local image
#      with the toolchain's dependencies, and the host's toolchain and SwiftPM cache are mounted
#      during the build (no registry, no network);
#      checks the image: --version, check --help, no missing library, runs as uid 10001;
#   4. builds docker/testdc.Dockerfile and runs the test DC as compose.yaml does (host network,
#      state folder bind-mounted) inside a private network namespace, so nothing collides with a
#      test directory already running on this machine; waits for LDAPS;
#   5. collects a snapshot with phs-check's image and writes the cloud export from it with
#      scripts/demo-export.py (as `scripts/dev demo` does);
#   6. runs the nightly-check service twice (podman run with compose.yaml's settings, or with
#      --compose `podman-compose --profile nightly run -T --rm nightly-check`): exit 0 or 1,
#      report.html and history.sqlite in the volume, the second run's findings all persisting;
#   7. the image as its own user (uid 10001), as docker/README.md runs it against a real DC: a
#      service account svc-phscheck made on the DC, its password (group 10001, 0440) and a fresh
#      named volume; then its keytab, `check --sasl-mech GSSAPI` with KRB5_CLIENT_KTNAME only (no
#      kinit): the same users and findings as the Administrator's run;
#   8. systemd (skip with --no-systemd): a container booting systemd, set up as README.md's "Run
#      it nightly" says (sysusers, units, /etc/phs-check, LoadCredential's password file), the
#      timer enabled, the service started: Result=success with exit status 1 (the config says
#      fail-on: warning, and the DC has warnings), the report and the
#      history written by the user phs-check; then the prometheus.conf drop-in (node_exporter's
#      textfile collector serves phs_check_*), the kerberos.conf drop-in (keytab credential),
#      and a DC that does not answer (the unit fails, the history records the failed run);
#   9. removes the containers, the volume, the namespace and the temporary folder.
#
# Idempotent: leftovers of an interrupted run are removed first. --remove-images also removes
# the images it built (not the base) and the cached build stage of --full-build.
#
#   docker/podman-nightly-smoke.sh [--compose] [--full-build] [--no-systemd] [--rebuild-base] [--remove-images]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=docker/podman-base.sh
. docker/podman-base.sh

BASE_IMAGE=localhost/debian:bookworm
IMAGE=localhost/phs-check:nightly-smoke
DC_IMAGE=localhost/phs-check-testdc:nightly-smoke
SWIFT_DEPS_IMAGE=localhost/phs-check-swift-deps:nightly-smoke
SYSTEMD_IMAGE=localhost/phs-check-systemd:nightly-smoke
DC_NAME=phs-check-nightly-testdc
SYSTEMD_NAME=phs-check-nightly-systemd
NETNS=phs-check-nightly-smoke
VOLUME=phs-check-nightly-smoke-state
PROJECT=phs-check-nightly-smoke # podman-compose project (not compose.yaml's phs-check)
SUITE=bookworm
BASE_DN=DC=phs,DC=test
SCRATCH=.build-nightly
COMPOSE_MODE=false
FULL_BUILD=false
SYSTEMD=true
REBUILD_BASE=false
REMOVE_IMAGES=false
PODMAN_COMPOSE_VERSION=1.6.0 # verified
for arg in "$@"; do
    case $arg in
        --compose) COMPOSE_MODE=true ;;
        --full-build) FULL_BUILD=true ;;
        --no-systemd) SYSTEMD=false ;;
        --rebuild-base) REBUILD_BASE=true ;;
        --remove-images) REMOVE_IMAGES=true ;;
        *) sed -n '2,39p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
if $COMPOSE_MODE; then
    IMAGE=localhost/phs-check:latest       # compose.yaml's image names
    DC_IMAGE=localhost/phs-check-testdc:latest
fi

T0=$(date +%s%3N) # milliseconds
STEP_T=$T0
TIMINGS=()
say() { printf '[nightly-smoke] %s\n' "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }
secs() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }
lap() {
    local now line; now=$(date +%s%3N)
    line=$(printf '%-52s %6s s' "$1" "$(secs $((now - STEP_T)))")
    TIMINGS+=("$line"); say "$line"
    STEP_T=$now
}

[ "$(id -u)" -eq 0 ] || die "run as root (podman as root, debootstrap, ip netns)"
PIDFILE=/run/phs-podman-nightly-smoke.pid
if [ -f "$PIDFILE" ] && other=$(cat "$PIDFILE") && [ "$other" != $$ ] &&
    grep -qa podman-nightly-smoke "/proc/$other/cmdline" 2>/dev/null; then
    die "another docker/podman-nightly-smoke.sh is running (pid $other)"
fi
echo $$ > "$PIDFILE"

# --- 1. packages ----------------------------------------------------------------------------------
PACKAGES=(podman runc debootstrap iproute2 util-linux python3)
$COMPOSE_MODE && PACKAGES+=(python3-venv)
install_missing "${PACKAGES[@]}"
lap "packages"

# --- clean slate, cleanup on exit -------------------------------------------------------------------
WORK=$(mktemp -d /var/tmp/phs-podman-nightly.XXXXXX)
STATE=$WORK/state     # the test DC's state folder
CLOUD=$WORK/cloud     # the cloud export (and the snapshot it is made from)
mkdir -p "$STATE" "$CLOUD"
printf '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n' > "$WORK/containers.conf"
export CONTAINERS_CONF=$WORK/containers.conf
PODMAN=(podman --runtime runc)
in_ns() { nsenter --net="/run/netns/$NETNS" "$@"; }

compose() { # podman-compose on docker/compose.yaml, in the namespace's "host" network
    in_ns env BASE_IMAGE="$BASE_IMAGE" PHS_TEST_DIR="$STATE" PHS_CLOUD_EXPORT="$CLOUD/entra-users.json" \
        "$WORK/venv/bin/podman-compose" -p "$PROJECT" -f docker/compose.yaml "$@"
}
project_containers() {
    "${PODMAN[@]}" ps -a --filter "label=io.podman.compose.project=$PROJECT" --format '{{.Names}}' 2>/dev/null || true
}
remove_everything() {
    local c
    for c in "$DC_NAME" "$SYSTEMD_NAME" $(project_containers); do
        if "${PODMAN[@]}" container exists "$c" 2>/dev/null; then
            "${PODMAN[@]}" rm -f -t 0 "$c" >/dev/null 2>&1 || true
        fi
    done
    if "${PODMAN[@]}" pod exists "pod_$PROJECT" 2>/dev/null; then
        "${PODMAN[@]}" pod rm -f "pod_$PROJECT" >/dev/null 2>&1 || true
    fi
    local v
    for v in "$VOLUME" "$VOLUME-user" "${PROJECT}_nightly-state"; do
        if "${PODMAN[@]}" volume exists "$v" 2>/dev/null; then "${PODMAN[@]}" volume rm -f "$v" >/dev/null 2>&1 || true; fi
    done
    if [ -e "/run/netns/$NETNS" ]; then ip netns delete "$NETNS" 2>/dev/null || true; fi
}
remove_work() { # [folder]
    local dir=${1:-$WORK}
    awk -v w="$dir/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r |
        while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf --one-file-system "$dir"
}
cleanup() {
    local rc=$?
    if [ $rc -ne 0 ]; then
        if "${PODMAN[@]}" container exists "$DC_NAME" 2>/dev/null; then
            say "test DC log (last 20 lines):"; "${PODMAN[@]}" logs "$DC_NAME" 2>&1 | tail -20 >&2 || true
        fi
        if "${PODMAN[@]}" container exists "$SYSTEMD_NAME" 2>/dev/null; then
            say "systemd container, journal of phs-check.service (last 30 lines):"
            "${PODMAN[@]}" exec "$SYSTEMD_NAME" journalctl -u phs-check.service --no-pager -n 30 >&2 2>/dev/null || true
        fi
    fi
    remove_everything
    if $REMOVE_IMAGES; then
        local i
        for i in localhost/phs-check:nightly-smoke localhost/phs-check:latest localhost/phs-check-testdc:nightly-smoke \
            "$SWIFT_DEPS_IMAGE" "$SYSTEMD_IMAGE"; do
            "${PODMAN[@]}" rmi -f "$i" >/dev/null 2>&1 || true
        done
        # docker/Dockerfile's build stage (--full-build), cached untagged
        "${PODMAN[@]}" image prune -f --filter label=phs-check.stage=build >/dev/null 2>&1 || true
    fi
    remove_work
    rm -f "$PIDFILE"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

remove_everything
for old in /var/tmp/phs-podman-nightly.*; do
    [ -d "$old" ] && [ "$old" != "$WORK" ] || continue
    say "removing $old left by an earlier run"
    remove_work "$old"
done

# Builds an image, replacing (and removing) the one the tag named before. Logs to WORK.
build_image() { # tag, log name, podman build arguments...
    local tag=$1 log=$WORK/$2.log; shift 2
    local old new
    old=$("${PODMAN[@]}" image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
    "${PODMAN[@]}" build --network=host "$@" -t "$tag" > "$log" 2>&1 || { tail -30 "$log" >&2; die "podman build of $tag failed"; }
    new=$("${PODMAN[@]}" image inspect --format '{{.Id}}' "$tag")
    if [ -n "$old" ] && [ "$old" != "$new" ]; then "${PODMAN[@]}" rmi "$old" >/dev/null 2>&1 || true; fi
}

# --- 2. base image (as docker/podman-smoke.sh makes it) -------------------------------------------
ensure_base_image

# --- 3. phs-check's image -----------------------------------------------------------------------------
SWIFT=$(command -v swift || true)
if $FULL_BUILD; then
    # The build stage as docker/Dockerfile has it, on a local stand-in for the Swift image: the
    # official image's packages for building and linking, with the host's toolchain mounted at
    # the same path and on PATH, and a copy of the host's SwiftPM cache (dependencies without
    # network). Only the base image differs from a build with registry access.
    [ -n "$SWIFT" ] || die "--full-build needs a Swift toolchain on this machine"
    TOOLCHAIN=$(cd "$(dirname "$(readlink -f "$SWIFT")")/../.." && pwd) # .../usr/bin/swift -> the toolchain
    mkdir -p "$WORK/swift-deps" "$WORK/swiftpm-cache"
    cat > "$WORK/swift-deps/Containerfile" <<EOF
FROM $BASE_IMAGE
RUN apt-get update -q && apt-get install -y -q --no-install-recommends \\
        binutils git libc6-dev libcurl4 libedit2 libgcc-12-dev libncurses6 libsqlite3-0 \\
        libstdc++-12-dev libxml2 libz3-4 pkg-config tzdata zlib1g-dev ca-certificates \\
 && rm -rf /var/lib/apt/lists/*
ENV PATH=$TOOLCHAIN/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
EOF
    build_image "$SWIFT_DEPS_IMAGE" swift-deps-build -f "$WORK/swift-deps/Containerfile" "$WORK/swift-deps"
    lap "local Swift build image (toolchain's dependencies)"
    [ -d "$HOME/.cache/org.swift.swiftpm" ] && cp -a "$HOME/.cache/org.swift.swiftpm/." "$WORK/swiftpm-cache/"
    # The build context: the committed tree (git archive HEAD, as a fresh clone has it, not
    # whatever is being edited), with this machine's Package.resolved (not in git).
    SRC=$WORK/src
    mkdir -p "$SRC"
    git archive HEAD | tar -x -C "$SRC"
    [ ! -f Package.resolved ] || cp Package.resolved "$SRC/"
    say "building $IMAGE (target runtime: Swift build stage, slim runtime) from git HEAD $(git rev-parse --short HEAD), $TOOLCHAIN mounted"
    build_image "$IMAGE" image-build --ignorefile docker/Dockerfile.dockerignore -f docker/Dockerfile \
        --volume "$TOOLCHAIN:$TOOLCHAIN:ro" --volume "$WORK/swiftpm-cache:/root/.cache/org.swift.swiftpm" \
        --build-arg SWIFT_IMAGE="$SWIFT_DEPS_IMAGE" --build-arg RUNTIME_IMAGE="$BASE_IMAGE" "$SRC"
    grep -q 'STEP.*swift build -c release --static-swift-stdlib' "$WORK/image-build.log" || die "the build stage did not run"
    lap "phs-check image: Swift build stage + runtime"
else
    if [ -n "${PREBUILT:-}" ]; then
        say "using PREBUILT=$PREBUILT"
    else
        [ -n "$SWIFT" ] || die "no swift on PATH: install the toolchain, or set PREBUILT to a release binary under .build*/"
        say "swift build -c release --static-swift-stdlib --scratch-path $SCRATCH --product phs-check"
        swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --product phs-check > "$WORK/swift-build.log" 2>&1 ||
            { tail -30 "$WORK/swift-build.log" >&2; die "swift build failed"; }
        PREBUILT=$SCRATCH/release/phs-check
        lap "swift build -c release --static-swift-stdlib"
    fi
    [ -x "$PREBUILT" ] || die "PREBUILT=$PREBUILT: no executable there"
    say "building $IMAGE (target runtime-prebuilt, PREBUILT=$PREBUILT)"
    build_image "$IMAGE" image-build --ignorefile docker/Dockerfile.dockerignore -f docker/Dockerfile \
        --target runtime-prebuilt --build-arg RUNTIME_IMAGE="$BASE_IMAGE" --build-arg PREBUILT="$PREBUILT" .
    lap "phs-check image: runtime-prebuilt"
fi
version=$("${PODMAN[@]}" run --rm "$IMAGE" --version) || die "phs-check --version failed in the image"
"${PODMAN[@]}" run --rm "$IMAGE" check --help > "$WORK/check-help.txt" || die "phs-check check --help failed in the image"
grep -q -- '--history <db>' "$WORK/check-help.txt" || die "check --help does not list --history"
missing_libs=$("${PODMAN[@]}" run --rm --entrypoint /bin/sh "$IMAGE" -c 'ldd /usr/local/bin/phs-check | grep "not found" || true')
[ -z "$missing_libs" ] || die "libraries missing in the image: $missing_libs"
user=$("${PODMAN[@]}" run --rm --entrypoint /usr/bin/id "$IMAGE" -u)
[ "$user" = 10001 ] || die "the image runs as uid $user, not 10001 (phs-check)"
size=$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE")
say "image $IMAGE: phs-check $version, check --help lists --history, no missing library, uid 10001, $((size / 1000000)) MB"
lap "image checks"

# --- 4. the test DC -----------------------------------------------------------------------------------
say "building $DC_IMAGE from docker/testdc.Dockerfile"
build_image "$DC_IMAGE" testdc-build --build-arg BASE_IMAGE="$BASE_IMAGE" \
    --ignorefile docker/testdc.Dockerfile.dockerignore -f docker/testdc.Dockerfile .
lap "build testdc image"

ip netns add "$NETNS"
ip -n "$NETNS" link set lo up
if $COMPOSE_MODE; then
    python3 -m venv "$WORK/venv"
    "$WORK/venv/bin/pip" install -q "podman-compose==$PODMAN_COMPOSE_VERSION" ||
        die "pip install podman-compose==$PODMAN_COMPOSE_VERSION failed"
    lap "podman-compose $PODMAN_COMPOSE_VERSION (pip, virtual environment)"
    # The export must exist before compose mounts it (bind mount of a file).
    touch "$CLOUD/entra-users.json"
    compose up -d --no-build testdc > "$WORK/compose-up.log" 2>&1 || { cat "$WORK/compose-up.log" >&2; die "podman-compose up testdc failed"; }
    DC_NAME=$(project_containers | grep testdc | head -1)
    [ -n "$DC_NAME" ] || die "podman-compose made no testdc container"
else
    in_ns "${PODMAN[@]}" run -d --name "$DC_NAME" --network=host --cap-add NET_ADMIN \
        --add-host dc1.phs.test:127.0.0.1 --add-host dc2.emea.test:127.0.0.2 \
        -e PHS_TEST_DIR="$STATE" -v "$STATE:$STATE" "$DC_IMAGE" > /dev/null
fi
dc_ready() {
    if $COMPOSE_MODE; then
        in_ns "${PODMAN[@]}" healthcheck run "$DC_NAME" >/dev/null 2>&1
    else
        [ -f "$STATE/ready" ] && in_ns "${PODMAN[@]}" exec "$DC_NAME" bash -c '
            LDAPTLS_CACERT="$PHS_TEST_DIR/samba/private/tls/ca.pem" ldapsearch -x -LLL -o nettimeout=5 \
                -H ldaps://dc1.phs.test -D Administrator@phs.test -y <(tr -d "\n" < "$PHS_TEST_DIR/admin-password") \
                -b OU=Staff,DC=phs,DC=test "(sAMAccountName=erin.newpw)" dn' 2>/dev/null | grep '^dn: ' >/dev/null
    fi
}
deadline=$(($(date +%s) + 420))
until dc_ready; do
    [ "$("${PODMAN[@]}" inspect --format '{{.State.Running}}' "$DC_NAME")" = true ] || die "the test DC exited"
    [ "$(date +%s)" -lt $deadline ] || die "the test DC was not ready in 420 s"
    sleep 1
done
lap "test DC: first start (provision + users), ready"

# phs-check's image against the DC, with compose.yaml's settings for nightly-check.
phs() { # podman run arguments... -- phs-check arguments...
    local opts=()
    while [ "$1" != -- ]; do opts+=("$1"); shift; done; shift
    in_ns "${PODMAN[@]}" run --rm --network=host --add-host dc1.phs.test:127.0.0.1 \
        --user 0:0 --cap-drop ALL --cap-add DAC_OVERRIDE --security-opt no-new-privileges --read-only \
        -v "$STATE:$STATE:ro" "${opts[@]}" "$IMAGE" "$@"
}
CA=$STATE/samba/private/tls/ca.pem
LDAP=(--ldap-url ldaps://dc1.phs.test --ca-file "$CA" --bind-dn Administrator@phs.test
      --bind-password-file "$STATE/admin-password" --search-base "OU=Staff,$BASE_DN")

# --- 5. the cloud export ------------------------------------------------------------------------------
if $COMPOSE_MODE; then # as docker/README.md has it: the service's settings, another command
    compose --profile nightly run -T --rm --no-deps -v "$CLOUD:/out" nightly-check \
        collect --quiet "${LDAP[@]}" --output /out/snapshot.jsonl < /dev/null > "$WORK/collect.log" 2>&1 ||
        { cat "$WORK/collect.log" >&2; die "podman-compose run nightly-check collect failed"; }
else
    phs -v "$CLOUD:/out" -- collect --quiet "${LDAP[@]}" --output /out/snapshot.jsonl ||
        die "phs-check collect from the image failed"
fi
python3 scripts/demo-export.py "$CLOUD/snapshot.jsonl" > "$CLOUD/entra-users.json"
users=$(($(wc -l < "$CLOUD/snapshot.jsonl") - 2))  # less the header and the closing line
[ "$users" -eq 7 ] || die "the snapshot has $users Staff users, expected 7"
say "collect from the image: $users Staff users; scripts/demo-export.py wrote the cloud export"
lap "collect (image) + demo export"

# --- 6. the nightly-check service, twice ----------------------------------------------------------------
nightly() { # one run of the service; prints its exit status
    local rc=0
    if $COMPOSE_MODE; then
        compose --profile nightly run -T --rm nightly-check > "$WORK/nightly.out" 2> "$WORK/nightly.err" < /dev/null || rc=$?
    else # compose.yaml's nightly-check, spelled out for podman run
        phs -v "$CLOUD/entra-users.json:/srv/phs-check/entra-users.json:ro" -v "$VOLUME:/var/lib/phs-check" -- \
            check --ldap-url=ldaps://dc1.phs.test --ca-file="$CA" --bind-dn=Administrator@phs.test \
            --bind-password-file="$STATE/admin-password" --search-base="OU=Staff,$BASE_DN" \
            --cloud=/srv/phs-check/entra-users.json --history=/var/lib/phs-check/history.sqlite \
            --format=html --output=/var/lib/phs-check/report.html > "$WORK/nightly.out" 2> "$WORK/nightly.err" || rc=$?
    fi
    echo "$rc"
}
history_json() { # phs-check history from the volume, as JSON
    if $COMPOSE_MODE; then
        compose --profile nightly run -T --rm --no-deps nightly-check history --history /var/lib/phs-check/history.sqlite --format json < /dev/null 2> "$WORK/history.err"
    else
        phs -v "$VOLUME:/var/lib/phs-check" -- history --history /var/lib/phs-check/history.sqlite --format json 2> "$WORK/history.err"
    fi
}
# Exit 0 or 1: the fresh DC's findings are warnings and infos (erin.newpw's reset is only seconds
# old, within --grace), and --fail-on is error; 2 or 3 would be a failed run.
rc=$(nightly)
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || { cat "$WORK/nightly.err" >&2; die "nightly-check exited $rc, expected 0 or 1"; }
lap "nightly-check: first run (exit $rc)"
rc2=$(nightly)
[ "$rc2" -eq "$rc" ] || { cat "$WORK/nightly.err" >&2; die "nightly-check's second run exited $rc2, the first $rc"; }
lap "nightly-check: second run (exit $rc2)"
if $COMPOSE_MODE; then VOLUME=${PROJECT}_nightly-state; fi
VOLDIR=$("${PODMAN[@]}" volume inspect --format '{{.Mountpoint}}' "$VOLUME") || die "no volume $VOLUME"
[ -s "$VOLDIR/report.html" ] || die "no report.html in the volume $VOLUME"
[ -s "$VOLDIR/history.sqlite" ] || die "no history.sqlite in the volume $VOLUME"
for code in orphaned-cloud-user account-state-mismatch temporary-password; do
    grep -q "$code" "$VOLDIR/report.html" || die "report.html does not show $code"
done
history_json > "$WORK/history.json" || { cat "$WORK/history.err" >&2; die "phs-check history failed"; }
python3 - "$WORK/history.json" <<'EOF' || die "the history is not as expected (above)"
import json, sys
h = json.load(open(sys.argv[1]))
runs = h["runs"]
assert len(runs) == 2 and all(r["succeeded"] for r in runs), runs
latest = h["run"]
assert latest["previousRun"] == runs[1]["id"] and latest["new"] == [] and latest["resolved"] == [], latest
assert latest["persisting"] == runs[0]["findings"] > 0, latest
assert runs[0]["matched"] == 7, runs[0]
print(f"[nightly-smoke] history: 2 successful runs, {runs[0]['matched']} matched, {runs[0]['findings']} findings "
      f"({runs[0]['bySeverity']}), second run: {latest['persisting']} persisting, 0 new, 0 resolved", file=sys.stderr)
EOF
if $COMPOSE_MODE; then # the report out of the volume, as docker/README.md says to fetch it
    compose --profile nightly run -T --rm --no-deps --entrypoint cat nightly-check /var/lib/phs-check/report.html \
        < /dev/null > "$WORK/report.out" 2> "$WORK/report.err" || { cat "$WORK/report.err" >&2; die "compose run --entrypoint cat failed"; }
    cmp "$WORK/report.out" "$VOLDIR/report.html" >&2 || die "the report fetched with compose run -T differs from the volume's"
    say "compose run -T --no-deps --entrypoint cat nightly-check /var/lib/phs-check/report.html: the volume's report, byte for byte"
fi
say "volume $VOLUME: report.html ($(stat -c %s "$VOLDIR/report.html") bytes), history.sqlite"
lap "report and history checks"

# --- 7. as the image's own user, against a "real" DC: a service account, a password, a keytab ------------
# docker/README.md's `docker run` for a real DC: uid 10001, /etc/phs-check and /srv/phs-check
# read-only, a fresh named volume; the secrets readable by group 10001 (mode 0440).
SVC_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')Aa1!
ETC=$WORK/etc-phs-check
mkdir -p "$ETC"
in_ns "${PODMAN[@]}" exec -e SVC_PASSWORD="$SVC_PASSWORD" "$DC_NAME" bash -c '
    conf=$PHS_TEST_DIR/samba/etc/smb.conf
    samba-tool user create svc-phscheck "$SVC_PASSWORD" -s "$conf" >/dev/null 2>&1 &&
    samba-tool user setexpiry svc-phscheck --noexpiry -s "$conf" >/dev/null 2>&1 &&
    samba-tool domain exportkeytab /tmp/phs-check.keytab --principal=svc-phscheck@PHS.TEST -s "$conf" >/dev/null 2>&1 &&
    cat /tmp/phs-check.keytab && rm -f /tmp/phs-check.keytab' > "$ETC/phs-check.keytab" ||
    die "could not make the service account svc-phscheck or export its keytab"
printf '%s\n' "$SVC_PASSWORD" > "$ETC/bind-password"
# The unit loads the Graph app's key as a credential (systemd refuses to start it when the file
# is missing); this smoke test compares with an export file, so phs-check never reads the key.
openssl genrsa -out "$ETC/graph-app-key.pem" 2048 2>/dev/null || die "openssl could not make the Graph app key"
cp "$CA" "$ETC/corp-ca.pem"
cp "$STATE/samba/krb5.conf" "$ETC/krb5.conf"
printf '%s\n' 'ldap-url: ldaps://dc1.phs.test' 'bind-dn: svc-phscheck@phs.test' 'ca-file: /etc/phs-check/corp-ca.pem' \
    "search-base: OU=Staff,$BASE_DN" 'cloud: /srv/phs-check/entra-users.json' > "$ETC/phs-check.yaml"
printf '%s\n' 'ldap-url: ldap://dc1.phs.test' 'sasl-mech: GSSAPI' \
    "search-base: OU=Staff,$BASE_DN" 'cloud: /srv/phs-check/entra-users.json' > "$ETC/phs-check-gssapi.yaml"
chgrp 10001 "$ETC/bind-password" "$ETC/phs-check.keytab"
chmod 0440 "$ETC/bind-password" "$ETC/phs-check.keytab"
chmod 0644 "$ETC/corp-ca.pem" "$ETC/krb5.conf" "$ETC"/*.yaml
as_user() { # docker run as in docker/README.md, in the namespace's network
    in_ns "${PODMAN[@]}" run --rm --network=host --add-host dc1.phs.test:127.0.0.1 \
        -v "$ETC:/etc/phs-check:ro" -v "$CLOUD:/srv/phs-check:ro" "$@"
}
rc=0
as_user -v "$VOLUME-user:/var/lib/phs-check" "$IMAGE" \
    check --config /etc/phs-check/phs-check.yaml --bind-password-file /etc/phs-check/bind-password \
    --history /var/lib/phs-check/history.sqlite --format html --output /var/lib/phs-check/report.html \
    2> "$WORK/user.err" || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || { cat "$WORK/user.err" >&2; die "check as uid 10001 with svc-phscheck's password exited $rc"; }
UDIR=$("${PODMAN[@]}" volume inspect --format '{{.Mountpoint}}' "$VOLUME-user")
owner=$(stat -c '%u %a' "$UDIR" "$UDIR/report.html" "$UDIR/history.sqlite" | tr '\n' ' ')
[ "$owner" = "10001 750 10001 644 10001 644 " ] || die "the fresh volume and its files: '$owner', expected phs-check's (10001)"
say "docker run as uid 10001 (svc-phscheck's password, group-readable): exit $rc; the new volume is phs-check's, report and history in it"
rc=0
as_user --tmpfs /tmp -v "$ETC/krb5.conf:/etc/krb5.conf:ro" \
    -e KRB5_CLIENT_KTNAME=/etc/phs-check/phs-check.keytab -e KRB5CCNAME=FILE:/tmp/krb5cc "$IMAGE" \
    check --config /etc/phs-check/phs-check-gssapi.yaml --format json > "$WORK/gssapi.json" 2> "$WORK/gssapi.err" || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || { cat "$WORK/gssapi.err" >&2; die "check --sasl-mech GSSAPI with the keytab exited $rc"; }
python3 - "$WORK/gssapi.json" "$WORK/history.json" <<'EOF' || die "the GSSAPI run differs from the Administrator's"
import json, sys
report = json.load(open(sys.argv[1])); history = json.load(open(sys.argv[2]))
admin = history["runs"][0]
assert report["summary"]["matched"] == admin["matched"], (report["summary"], admin)
assert len(report["findings"]) == admin["findings"], (len(report["findings"]), admin["findings"])
print(f"[nightly-smoke] GSSAPI as svc-phscheck from uid 10001 (keytab via KRB5_CLIENT_KTNAME, no kinit): "
      f"{report['summary']['matched']} matched, {len(report['findings'])} findings, as the Administrator's run", file=sys.stderr)
EOF
lap "image's user: service account, password and keytab"

# --- 8. the systemd units, under systemd ------------------------------------------------------------------
if $SYSTEMD; then
    mkdir -p "$WORK/systemd-image"
    cat > "$WORK/systemd-image/Containerfile" <<EOF
FROM $BASE_IMAGE
RUN apt-get update -q && apt-get install -y -q --no-install-recommends \\
        systemd systemd-sysv libldap-2.5-0 libsasl2-modules-gssapi-mit krb5-user libsqlite3-0 libstdc++6 \\
        ca-certificates tzdata acl curl prometheus-node-exporter \\
 && rm -rf /var/lib/apt/lists/*
STOPSIGNAL SIGRTMIN+3
CMD ["/sbin/init"]
EOF
    build_image "$SYSTEMD_IMAGE" systemd-build -f "$WORK/systemd-image/Containerfile" "$WORK/systemd-image"
    lap "systemd image (systemd, node_exporter, runtime libraries)"
    BIN=$WORK/phs-check.bin # the binary of phs-check's image
    cid=$("${PODMAN[@]}" create "$IMAGE")
    "${PODMAN[@]}" cp "$cid:/usr/local/bin/phs-check" "$BIN" >/dev/null
    "${PODMAN[@]}" rm "$cid" >/dev/null
    # As close to a host's systemd as a container gets: every capability, and (below) the root
    # mount shared, which systemd does at boot on a host but not in a container. Without the
    # capabilities, systemd 252 cannot join a unit's IPC namespace from its second ExecStart
    # (PrivateIPC= with PrivateUsers=: the prometheus.conf drop-in fails with 226/NAMESPACE);
    # without the shared root, the credentials it mounts for LoadCredential= stay in its helper's
    # mount namespace and the service finds an empty credentials directory. Both happen in a
    # container only; a Debian 12 host has neither.
    in_ns "${PODMAN[@]}" run -d --name "$SYSTEMD_NAME" --network=host --add-host dc1.phs.test:127.0.0.1 \
        --systemd=always --cap-add all "$SYSTEMD_IMAGE" > /dev/null
    sd() { in_ns "${PODMAN[@]}" exec "$SYSTEMD_NAME" "$@"; }
    deadline=$(($(date +%s) + 60))
    until state=$(sd systemctl is-system-running 2>/dev/null) || [ "$state" = degraded ]; do
        [ "$(date +%s)" -lt $deadline ] || die "systemd in the container did not boot in 60 s ($state)"
        sleep 1
    done
    say "systemd booted in $SYSTEMD_NAME: $state"
    sd mount --make-rshared /
    # README.md, "Run it nightly": the binary, the account, the units, /etc/phs-check, the export.
    "${PODMAN[@]}" cp "$BIN" "$SYSTEMD_NAME:/usr/local/bin/phs-check"
    sd mkdir -p /etc/sysusers.d /etc/phs-check /srv/phs-check /etc/systemd/system/phs-check.service.d
    "${PODMAN[@]}" cp Config/systemd/phs-check.sysusers "$SYSTEMD_NAME:/etc/sysusers.d/phs-check.conf"
    "${PODMAN[@]}" cp Config/systemd/phs-check.service "$SYSTEMD_NAME:/etc/systemd/system/phs-check.service"
    "${PODMAN[@]}" cp Config/systemd/phs-check.timer "$SYSTEMD_NAME:/etc/systemd/system/phs-check.timer"
    "${PODMAN[@]}" cp "$CA" "$SYSTEMD_NAME:/etc/phs-check/corp-ca.pem"
    "${PODMAN[@]}" cp "$ETC/bind-password" "$SYSTEMD_NAME:/etc/phs-check/bind-password"
    "${PODMAN[@]}" cp "$ETC/phs-check.keytab" "$SYSTEMD_NAME:/etc/phs-check/phs-check.keytab"
    "${PODMAN[@]}" cp "$ETC/graph-app-key.pem" "$SYSTEMD_NAME:/etc/phs-check/graph-app-key.pem"
    "${PODMAN[@]}" cp "$CLOUD/entra-users.json" "$SYSTEMD_NAME:/srv/phs-check/entra-users.json"
    "${PODMAN[@]}" cp "$STATE/samba/krb5.conf" "$SYSTEMD_NAME:/etc/krb5.conf"
    sd bash -c "printf '%s\n' 'ldap-url: ldaps://dc1.phs.test' 'bind-dn: svc-phscheck@phs.test' \
        'ca-file: /etc/phs-check/corp-ca.pem' 'search-base: OU=Staff,$BASE_DN' \
        'cloud: /srv/phs-check/entra-users.json' 'fail-on: warning' > /etc/phs-check/phs-check.yaml &&
        chown root:root /etc/phs-check/* && chmod 0600 /etc/phs-check/bind-password /etc/phs-check/phs-check.keytab /etc/phs-check/graph-app-key.pem &&
        chmod 0644 /etc/phs-check/phs-check.yaml /etc/phs-check/corp-ca.pem /srv/phs-check/entra-users.json &&
        systemd-sysusers && systemctl daemon-reload && systemctl enable --now phs-check.timer" > "$WORK/systemd-setup.log" 2>&1 ||
        { cat "$WORK/systemd-setup.log" >&2; die "setting up the units failed"; }
    next=$(sd systemctl show -p NextElapseUSecRealtime --value phs-check.timer)
    [ -n "$next" ] || die "phs-check.timer has no next run"
    say "phs-check.timer enabled and waiting: next run $next"
    run_unit() { # starts phs-check.service, waits, prints Result and the main exit status
        sd systemctl start phs-check.service > /dev/null 2>&1 || true # a oneshot: returns when done
        echo "$(sd systemctl show -p Result --value phs-check.service) $(sd systemctl show -p ExecMainStatus --value phs-check.service)"
    }
    journal_of_last_run() {
        sd bash -c 'journalctl _SYSTEMD_INVOCATION_ID=$(systemctl show -p InvocationID --value phs-check.service) -o cat --no-pager'
    }
    result=$(run_unit)
    [ "$result" = "success 1" ] || { journal_of_last_run >&2; die "phs-check.service: $result, expected success with exit status 1 (findings)"; }
    owner=$(sd stat -c '%U %a' /var/lib/phs-check/report.html /var/lib/phs-check/history.sqlite | tr '\n' ' ')
    [ "$owner" = "phs-check 644 phs-check 640 " ] || die "report and history: owner and mode '$owner'"
    sd runuser -u phs-check -- phs-check history --history /var/lib/phs-check/history.sqlite --format json > "$WORK/sd-history.json"
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["runs"]; assert len(r)==1 and r[0]["succeeded"] and r[0]["matched"]==7, r' \
        "$WORK/sd-history.json" || die "the unit's history is not one successful run with 7 matched users"
    say "phs-check.service (svc-phscheck, LoadCredential password, fail-on: warning): Result=success, exit 1 (findings); report.html 0644 and history.sqlite 0640 owned by phs-check"
    lap "systemd: timer enabled, service run"

    # The prometheus.conf drop-in; node_exporter (Debian's package) serves the textfile.
    "${PODMAN[@]}" cp Config/systemd/phs-check.service.d/prometheus.conf "$SYSTEMD_NAME:/etc/systemd/system/phs-check.service.d/prometheus.conf"
    sd bash -c 'setfacl -m u:phs-check:rwx /var/lib/prometheus/node-exporter && systemctl daemon-reload' ||
        die "setfacl on the textfile directory failed"
    result=$(run_unit)
    [ "$result" = "success 1" ] || { journal_of_last_run >&2; die "with prometheus.conf: $result"; }
    sd test -s /var/lib/prometheus/node-exporter/phs_check.prom || die "no phs_check.prom in the textfile directory"
    deadline=$(($(date +%s) + 30))
    until metrics=$(sd curl -fsS http://127.0.0.1:9100/metrics 2>/dev/null) && grep -q '^phs_check_run_success 1$' <<< "$metrics"; do
        [ "$(date +%s)" -lt $deadline ] || die "node_exporter does not serve phs_check_run_success 1"
        sleep 1
    done
    errors=$(grep '^phs_check_findings{.*severity="error"' <<< "$metrics" | awk '{ s += $2 } END { print s + 0 }')
    say "prometheus.conf: node_exporter serves $(grep -c '^phs_check_' <<< "$metrics") phs_check_* samples (run_success 1, $errors error findings)"
    lap "systemd: prometheus.conf drop-in, node_exporter"

    # The kerberos.conf drop-in: keytab credential, no password credential, GSSAPI.
    "${PODMAN[@]}" cp Config/systemd/phs-check.service.d/kerberos.conf "$SYSTEMD_NAME:/etc/systemd/system/phs-check.service.d/kerberos.conf"
    sd bash -c "rm /etc/systemd/system/phs-check.service.d/prometheus.conf /etc/phs-check/bind-password &&
        sed -i -e 's|^ldap-url: .*|ldap-url: ldap://dc1.phs.test|' -e 's|^bind-dn: .*|sasl-mech: GSSAPI|' /etc/phs-check/phs-check.yaml &&
        systemctl daemon-reload"
    result=$(run_unit)
    [ "$result" = "success 1" ] || { journal_of_last_run >&2; die "with kerberos.conf: $result"; }
    sd test ! -e /run/phs-check/krb5cc || die "the ticket cache outlived the run"
    say "kerberos.conf: keytab credential only (the password file is gone), GSSAPI bind: Result=success, exit 1"
    lap "systemd: kerberos.conf drop-in"

    # A DC that does not answer: the unit fails; the history has the failed run.
    sd sed -i 's|^ldap-url: .*|ldap-url: ldap://127.0.0.1:9|' /etc/phs-check/phs-check.yaml
    result=$(run_unit)
    [ "$result" = "exit-code 3" ] || { journal_of_last_run >&2; die "with an unreachable DC: $result, expected exit-code 3"; }
    sd runuser -u phs-check -- phs-check history --history /var/lib/phs-check/history.sqlite --format json > "$WORK/sd-history.json"
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["runs"]; assert len(r)==4 and not r[0]["succeeded"], r[0]' \
        "$WORK/sd-history.json" || die "the failed run is not in the history"
    say "unreachable DC: Result=exit-code, status 3 (the unit is failed), the history records the failed run"
    lap "systemd: failure semantics"
fi

say "timings:"
for t in "${TIMINGS[@]}"; do say "  $t"; done
say "  $(printf '%-52s %6s s' total "$(secs $(($(date +%s%3N) - T0)))")"
say "PASSED"
