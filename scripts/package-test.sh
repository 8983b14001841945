#!/usr/bin/env bash
# Tests phs-check's Debian package as an admin would meet it: installed with apt-get on a clean
# Debian 12 (a Podman container of the local base image localhost/debian:bookworm that
# docker/podman-base.sh makes with debootstrap; or, with --chroot or without Podman, a
# debootstrap chroot), its Depends resolved from the Debian mirror. Needs root.
#
#   scripts/package-test.sh [--build|--build-debug] [--chroot] [--rebuild-base] [--install-deps] [--verbose] [DEB]
#
# DEB defaults to dist/phs-check_VERSION_ARCH.deb of packaging/debian/changelog's version;
# --build runs scripts/package.sh first; --build-debug packages a debug build instead
# (scripts/package.sh --configuration debug: minutes instead of ten; what CI does).
# In the clean system, in this order:
#    1. apt-get install --no-install-recommends ./phs-check_*.deb: the Depends alone, from the
#       mirror, must be enough for everything below up to step 8;
#    2. no systemd installed: the postinst made the user phs-check with useradd, and
#       /var/lib/phs-check (phs-check:phs-check, 0750); the timer is not enabled;
#    3. every library the binary needs is found; `phs-check --version` is the package's version;
#    4. /etc/phs-check/phs-check.yaml is a conffile, and loads (it sets nothing);
#    5. the demo from the installed files, as the user phs-check: `phs-check compare --config
#       /usr/share/phs-check/demo/demo.yaml` exits 1 with its expected lines; again with
#       --history in /var/lib/phs-check, and `phs-check history` lists the run;
#    6. the man page: man-db installed, `man -w phs-check`, the page renders without warnings
#       and names every command;
#    7. completions: bash (bash-completion's loader finds it; `phs-check co<TAB>` offers
#       collect and compare), zsh (compinit maps phs-check to _phs-check) and fish
#       (`complete -C` offers the commands);
#    8. systemd installed: systemd-analyze verify of phs-check.service and .timer, alone and
#       with each example drop-in, and the service's Documentation= man page; the sysusers
#       file parses (systemd-sysusers --dry-run on an empty root creates the user); the timer
#       is disabled;
#    9. remove: the conffile and the state stay; purge: they go, with the timer's link the admin
#       made (systemctl enable), the user stays; reinstall with systemd present: the postinst
#       made the user with systemd-sysusers, the timer is still disabled; dpkg -i again works.
# Each step prints its name; a failed step stops the test with its name and its output
# (--verbose shows every step's output).
#
# Podman, runc and debootstrap are installed if missing only with --install-deps or CI=true.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=docker/podman-base.sh
. docker/podman-base.sh

BUILD=false
CONFIGURATION=release
MODE=podman
REBUILD_BASE=false
INSTALL_DEPS=false
[ "${CI:-}" = true ] && INSTALL_DEPS=true
VERBOSE=false
DEB=
for arg in "$@"; do
    case $arg in
        --build) BUILD=true ;;
        --build-debug) BUILD=true; CONFIGURATION=debug ;;
        --chroot) MODE=chroot ;;
        --rebuild-base) REBUILD_BASE=true ;;
        --install-deps) INSTALL_DEPS=true ;;
        --verbose) VERBOSE=true ;;
        -*) sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
        *) DEB=$arg ;;
    esac
done

BASE_IMAGE=localhost/debian:bookworm
SUITE=bookworm
T0=$(date +%s%3N)
STEP_T=$T0
TIMINGS=()
say() { printf '[package-test] %s\n' "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }
secs() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }
lap() {
    local now line; now=$(date +%s%3N)
    line=$(printf '%-58s %6s s' "$1" "$(secs $((now - STEP_T)))")
    TIMINGS+=("$line"); say "$line"
    STEP_T=$now
}

[ "$(id -u)" -eq 0 ] || die "run as root (podman as root, or a chroot)"

if $BUILD; then
    scripts/package.sh --configuration "$CONFIGURATION" || die "scripts/package.sh failed"
    lap "scripts/package.sh"
fi
if [ -z "$DEB" ]; then
    VERSION=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version 2>/dev/null) ||
        die "cannot read packaging/debian/changelog (dpkg-dev installed?)"
    DEB=dist/phs-check_${VERSION}_$(dpkg --print-architecture).deb
fi
[ -f "$DEB" ] || die "no $DEB: run scripts/package.sh first (or pass --build, or the .deb's path)"
DEB=$(readlink -f "$DEB")
VERSION=$(dpkg-deb -f "$DEB" Version)
say "testing $DEB (phs-check $VERSION)"

if [ "$MODE" = podman ] && ! command -v podman >/dev/null && ! $INSTALL_DEPS; then
    say "podman is not installed: using a debootstrap chroot (--install-deps installs podman)"
    MODE=chroot
fi
needs=(debootstrap)
[ "$MODE" = podman ] && needs+=(podman runc)
missing=()
for p in "${needs[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = 'install ok installed' ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    $INSTALL_DEPS || die "missing Debian packages: ${missing[*]} — apt-get install ${missing[*]}, or pass --install-deps"
    install_missing "${missing[@]}"
fi
lap "tools"

WORK=$(mktemp -d /var/tmp/phs-package-test.XXXXXX)
NAME=phs-check-package-test-$$
ROOTFS=
cleanup() {
    local rc=$?
    if [ "$MODE" = podman ]; then
        "${PODMAN[@]}" rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
    elif [ -n "$ROOTFS" ] && [ -d "$ROOTFS" ]; then
        for m in "$ROOTFS/pkg" "$ROOTFS/dev/pts" "$ROOTFS/dev" "$ROOTFS/proc"; do
            mountpoint -q "$m" && umount -l "$m" || true
        done
    fi
    rm -rf --one-file-system "$WORK"
    exit $rc
}
trap cleanup EXIT

# --- the clean system -----------------------------------------------------------------------------
if [ "$MODE" = podman ]; then
    printf '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n' > "$WORK/containers.conf"
    export CONTAINERS_CONF=$WORK/containers.conf
    PODMAN=(podman --runtime runc)
    ensure_base_image
    "${PODMAN[@]}" run -d --name "$NAME" --network=host -v "$(dirname "$DEB"):/pkg:ro" \
        "$BASE_IMAGE" sleep infinity > /dev/null || die "podman run $BASE_IMAGE failed"
    inside_raw() { "${PODMAN[@]}" exec -i "$NAME" "$@"; }
    lap "container from $BASE_IMAGE"
else
    MIRROR=$(mirror_for "$SUITE") || die "no Debian mirror for $SUITE in the APT sources"
    ROOTFS=$WORK/rootfs
    say "debootstrap --variant=minbase $SUITE from $MIRROR"
    debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR" > "$WORK/debootstrap.log" 2>&1 ||
        { tail -20 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
    {
        for s in "$SUITE" "$SUITE-updates" "$SUITE-security"; do
            uri=$(mirror_for "$s") && printf 'deb %s %s main\n' "$uri" "$s"
        done
    } > "$ROOTFS/etc/apt/sources.list"
    cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf" 2>/dev/null || true
    mount -t proc proc "$ROOTFS/proc"
    mount --bind /dev "$ROOTFS/dev"
    mount --bind /dev/pts "$ROOTFS/dev/pts"
    mkdir -p "$ROOTFS/pkg"
    mount --bind "$(dirname "$DEB")" "$ROOTFS/pkg"
    mount -o remount,bind,ro "$ROOTFS/pkg"
    inside_raw() { chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb "$@"; }
    lap "chroot (debootstrap)"
fi

PKG=/pkg/$(basename "$DEB")
STEP=0
# One step: runs the script with bash -euo pipefail in the clean system; its output goes to the
# step's log, shown when it fails.
step() { # name, script
    STEP=$((STEP + 1))
    local log=$WORK/step$STEP.log
    say "step $STEP: $1"
    if ! inside_raw bash -euo pipefail -c "export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 PKG='$PKG' VERSION='$VERSION'
$2" > "$log" 2>&1; then
        sed 's/^/    | /' "$log" | tail -40 >&2
        die "step $STEP: $1"
    fi
    ! $VERBOSE || sed 's/^/    | /' "$log" >&2
    lap "$STEP. $1"
}

# --- the tests ------------------------------------------------------------------------------------
step "apt-get install ./$(basename "$DEB") (Depends from the mirror, no Recommends)" '
apt-get update -q
apt-get install -y -q --no-install-recommends "$PKG" | tee /tmp/install.log
[ "$(dpkg-query -W -f="\${Status}" phs-check)" = "install ok installed" ]
'
inside_raw awk '/^The following NEW packages/ { on = 1; next } on && /^  / { printf "%s", $0; next } { on = 0 }' \
    /tmp/install.log | tr -s ' ' | sed 's/^/[package-test]   new packages:/' >&2 || true
echo >&2

step "without systemd: the postinst made the user phs-check (useradd) and /var/lib/phs-check" '
! command -v systemd-sysusers
entry=$(getent passwd phs-check)
echo "$entry"
IFS=: read -r name _ uid gid gecos home shell <<< "$entry"
[ "$home" = /var/lib/phs-check ] && [ "$shell" = /usr/sbin/nologin ] && [ "$uid" -lt 1000 ]
[ "$(getent group phs-check | cut -d: -f3)" = "$gid" ]
[ "$(stat -c "%U:%G %a" /var/lib/phs-check)" = "phs-check:phs-check 750" ]
! [ -e /etc/systemd/system/timers.target.wants/phs-check.timer ]
'

step "phs-check --version, and every library it needs is found" '
ldd /usr/bin/phs-check
! ldd /usr/bin/phs-check | grep "not found"
v=$(phs-check --version); echo "$v"
case $v in "phs-check ${VERSION%-*} with libldap 2."*) ;; *) echo "not the package version with its libldap: $v"; exit 1 ;; esac
'

step "/etc/phs-check/phs-check.yaml: a conffile, and it loads (it sets nothing)" '
dpkg-query -W -f="\${Conffiles}\n" phs-check | grep -E "^ /etc/phs-check/phs-check.yaml [0-9a-f]{32}$"
rc=0; phs-check compare --config /etc/phs-check/phs-check.yaml 2> /tmp/err || rc=$?
cat /tmp/err
[ "$rc" -eq 2 ] && grep -q -- "name the snapshot with --snapshot" /tmp/err
! grep -q "phs-check.yaml" /tmp/err   # no complaint about the file itself
'

DEMO_LINES=(
    'Directory snapshot /usr/share/phs-check/demo/snapshot.jsonl (ldaps://dc1.phs.test, collected 2026-11-30T22:04:04.091Z)  DC=phs,DC=test  7 users'
    'Cloud     /usr/share/phs-check/demo/entra-users.json (graph-json)  8 users'
    'Matched   7 users, 2 with their latest password in the cloud'
    '1 error   3 warnings   2 info'
    'password-not-synced  erin.newpw  erin.newpw@phs.test'
    'temporary-password  carol.mustchange  carol.mustchange@phs.test'
    'orphaned-cloud-user  henry.deleted  henry.deleted@phs.test'
    'account-state-mismatch  bob.disabled  bob.disabled@phs.test'
    'password-change-unconfirmed  dave.zeroneg  dave.zeroneg@phs.test'
    'phs-excluded  frank.phsfiltered  frank.phsfiltered@phs.test'
    "Run: Invoke-ADSyncDiagnostics -PasswordSync -ADConnectorName 'phs.test' -DistinguishedName 'CN=erin.newpw,OU=Staff,DC=phs,DC=test'"
)
expect=$(printf '%s\n' "${DEMO_LINES[@]}")
step "the demo from the installed files, as phs-check: compare exits 1 with its findings" "
cd /var/lib/phs-check
rc=0; runuser -u phs-check -- phs-check compare --config /usr/share/phs-check/demo/demo.yaml > /tmp/demo.out || rc=\$?
cat /tmp/demo.out
[ \"\$rc\" -eq 1 ] || { echo \"exit \$rc, expected 1\"; exit 1; }
while IFS= read -r line; do
    grep -qF -- \"\$line\" /tmp/demo.out || { echo \"missing line: \$line\"; exit 1; }
done <<'EXPECTED'
$expect
EXPECTED
rc=0; runuser -u phs-check -- phs-check compare --config /usr/share/phs-check/demo/demo.yaml \\
    --history /var/lib/phs-check/history.sqlite --format json --output /var/lib/phs-check/demo.json --quiet || rc=\$?
[ \"\$rc\" -eq 1 ]
grep -q '\"password-not-synced\"' /var/lib/phs-check/demo.json
runuser -u phs-check -- phs-check history --history /var/lib/phs-check/history.sqlite | tee /tmp/history.out
grep -q '1 run, newest first' /tmp/history.out
grep -qE '^ +1 +[0-9TZ:.-]+ +2026-12-01T00:04:04Z +7 +8 +7 +1 +3 +2 +6 +0\$' /tmp/history.out
"

step "man page: man -w phs-check, renders without warnings, names every command" '
apt-get install -y -q --no-install-recommends man-db > /dev/null
[ "$(man -w phs-check)" = /usr/share/man/man1/phs-check.1.gz ]
MANWIDTH=100 man --warnings phs-check > /tmp/man.txt 2> /tmp/man.err
cat /tmp/man.err
! [ -s /tmp/man.err ]
for cmd in check compare explain collect export-cloud history; do
    grep -qE "^ +$cmd( |\$)" /tmp/man.txt || { echo "no $cmd in the page"; exit 1; }
done
grep -q -- "--snapshot" /tmp/man.txt && grep -q /usr/share/phs-check/demo /tmp/man.txt
head -12 /tmp/man.txt
'

step "bash completion: sourced, found by bash-completion, phs-check co<TAB> offers collect and compare" '
bash -c "source /usr/share/bash-completion/completions/phs-check"
apt-get install -y -q --no-install-recommends bash-completion > /dev/null
cat > /tmp/complete.bash <<"EOF"
source /usr/share/bash-completion/bash_completion
_completion_loader phs-check      # what bash-completion does at the first <TAB> after phs-check
complete -p phs-check
fn=$(complete -p phs-check | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
offer() { # the words of a command line, with the cursor at its end
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    "$fn" phs-check "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf "%s\n" "${COMPREPLY[@]}" | sort | paste -sd" "
}
words=$(offer phs-check co); echo "phs-check co<TAB>: $words"
[ "$words" = "collect compare" ]
words=$(offer phs-check compare --sn); echo "phs-check compare --sn<TAB>: $words"
[ "$words" = "--snapshot" ]
EOF
bash /tmp/complete.bash
'

step "zsh and fish completions: found in their vendor folders, offer the commands" '
apt-get install -y -q --no-install-recommends zsh fish > /dev/null
zsh -n /usr/share/zsh/vendor-completions/_phs-check
zsh -fc "autoload -U compinit && compinit -u -d /tmp/zcompdump && print -r -- \${_comps[phs-check]}" | tee /tmp/zsh.out
[ "$(cat /tmp/zsh.out)" = _phs-check ]
fish --no-execute /usr/share/fish/vendor_completions.d/phs-check.fish
fish -c "complete -C \"phs-check co\"" | tee /tmp/fish.out
grep -q "^collect" /tmp/fish.out && grep -q "^compare" /tmp/fish.out
'

step "systemd: units verify (alone and with each example drop-in), the sysusers file parses, timer disabled" '
apt-get install -y -q --no-install-recommends systemd > /dev/null
verify() {
    out=$(systemd-analyze verify --man=no --generators=no phs-check.service phs-check.timer 2>&1) || { echo "$out"; return 1; }
    [ -z "$out" ] || { echo "$out"; return 1; }
}
verify && echo "ok: phs-check.service phs-check.timer"
# --man=yes: the unit'"'"'s Documentation=man:phs-check(1) is a page man finds.
systemd-analyze verify --man=yes --generators=no phs-check.service 2>&1 | tee /tmp/verify-man.out
! [ -s /tmp/verify-man.out ]
grep -q "^Documentation=man:phs-check(1) " /usr/lib/systemd/system/phs-check.service
ex=/usr/share/doc/phs-check/examples/systemd/phs-check.service.d
mkdir -p /etc/systemd/system/phs-check.service.d
for d in prometheus.conf kerberos.conf; do
    cp "$ex/$d" /etc/systemd/system/phs-check.service.d/
    verify && echo "ok: with $d"
    rm /etc/systemd/system/phs-check.service.d/$d
done
rmdir /etc/systemd/system/phs-check.service.d
systemd-analyze calendar "$(sed -n "s/^OnCalendar=//p" /usr/lib/systemd/system/phs-check.timer)" | head -3
systemd-sysusers --dry-run /usr/lib/sysusers.d/phs-check.conf
mkdir -p /tmp/sysroot/etc
systemd-sysusers --dry-run --root=/tmp/sysroot /usr/lib/sysusers.d/phs-check.conf 2>&1 | tee /tmp/sysusers.out
grep -q "Creating group .phs-check." /tmp/sysusers.out && grep -q "Creating user .phs-check." /tmp/sysusers.out
[ "$(systemctl is-enabled phs-check.timer 2>&1 || true)" = disabled ]
'

step "remove keeps the conffile and the state; purge removes them and the timer's link; the user stays" '
systemctl enable phs-check.timer
[ -L /etc/systemd/system/timers.target.wants/phs-check.timer ]
apt-get remove -y -q phs-check > /dev/null
! [ -e /usr/bin/phs-check ] && ! [ -e /usr/lib/systemd/system/phs-check.service ]
[ -f /etc/phs-check/phs-check.yaml ] && [ -f /var/lib/phs-check/history.sqlite ]
apt-get purge -y -q phs-check > /dev/null
! [ -e /etc/phs-check ] && ! [ -e /var/lib/phs-check ]
! [ -e /etc/systemd/system/timers.target.wants/phs-check.timer ]
! [ -e /etc/systemd/system/phs-check.timer ] && ! [ -e /etc/systemd/system/phs-check.service ]
getent passwd phs-check
'

step "reinstalled with systemd present: the user from systemd-sysusers, the timer still disabled" '
userdel phs-check
getent group phs-check >/dev/null && groupdel phs-check
! getent passwd phs-check
apt-get install -y -q --no-install-recommends "$PKG" > /dev/null
getent passwd phs-check
grep -q "^phs-check:.*:phs-check nightly check:/var/lib/phs-check:/usr/sbin/nologin$" /etc/passwd
[ "$(stat -c "%U:%G %a" /var/lib/phs-check)" = "phs-check:phs-check 750" ]
[ "$(systemctl is-enabled phs-check.timer 2>&1 || true)" = disabled ]
dpkg -i "$PKG"
phs-check --version
'

say "PASSED: $DEB"
say "timings:"
for line in "${TIMINGS[@]}"; do say "  $line"; done
say "  $(printf '%-58s %6s s' total "$(secs $(($(date +%s%3N) - T0)))")"
