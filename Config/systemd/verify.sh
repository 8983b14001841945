#!/usr/bin/env bash
# Verifies the systemd units in Config/systemd/ with systemd-analyze (Debian: package systemd),
# as installed: phs-check.service and phs-check.timer (and the probe's, phs-check-probe.service
# and phs-check-probe.timer) in <root>/etc/systemd/system, with each
# combination of the optional drop-ins (none, prometheus.conf, kerberos.conf, both) in
# phs-check.service.d/. Needs no root and changes nothing on the machine.
#
# The temporary root holds only what `systemd-analyze verify --root` needs: the units, the
# system's *.target units (the dependencies every service gets) and an executable at
# /usr/local/bin/phs-check, the path ExecStart names (verify checks that it exists). That is
# the built binary when PHS_CHECK_BIN names one, else a two-line stand-in script.
#
# Fails on a non-zero exit of systemd-analyze and also on anything it prints: verify reports
# some mistakes (an unknown value, a bad specifier in a drop-in) as "ignoring" and still exits 0.
# Then prints the timer's next runs and the sandbox's exposure score (systemd-analyze security
# --offline, 0.0 to 10.0, lower is tighter), which must stay at or below THRESHOLD (default 1.5;
# the base unit scores 1.1: what is left is the network itself and the unknown DC addresses).
#
#   Config/systemd/verify.sh            exit 0 when everything passes
#   PHS_CHECK_BIN=.build/release/phs-check THRESHOLD=1.2 Config/systemd/verify.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
THRESHOLD=${THRESHOLD:-1.5}

say() { printf '[systemd-verify] %s\n' "$*" >&2; }
command -v systemd-analyze >/dev/null || { say "systemd-analyze not found (apt-get install systemd)"; exit 127; }
say "$(systemd-analyze --version | head -1)"

work=$(mktemp -d "${TMPDIR:-/tmp}/phs-check-systemd-verify.XXXXXX")
trap 'rm -rf "$work"' EXIT

make_root() { # root, drop-ins...
    local root=$1; shift
    mkdir -p "$root/etc/systemd/system/phs-check.service.d" "$root/usr/lib/systemd/system" "$root/usr/local/bin"
    # The targets every service depends on (sysinit.target, basic.target, shutdown.target,
    # network-online.target, timers.target...), from this machine.
    local d
    for d in /usr/lib/systemd/system /lib/systemd/system; do
        [ -d "$d" ] && find "$d" -maxdepth 1 -name '*.target' -exec cp -n {} "$root/usr/lib/systemd/system/" \;
    done
    cp "$here/phs-check.service" "$here/phs-check.timer" "$here/phs-check-probe.service" "$here/phs-check-probe.timer" \
        "$root/etc/systemd/system/"
    local dropin
    for dropin in "$@"; do
        cp "$here/phs-check.service.d/$dropin" "$root/etc/systemd/system/phs-check.service.d/"
    done
    if [ -n "${PHS_CHECK_BIN:-}" ]; then
        cp "$PHS_CHECK_BIN" "$root/usr/local/bin/phs-check"
    else
        printf '#!/bin/sh\nexit 0\n' > "$root/usr/local/bin/phs-check"
        chmod 0755 "$root/usr/local/bin/phs-check"
    fi
}

failed=0
run_verify() { # label, root
    local out rc=0
    out=$(systemd-analyze verify --man=no --generators=no --root="$2" phs-check.service phs-check.timer \
        phs-check-probe.service phs-check-probe.timer 2>&1) || rc=$?
    if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
        say "FAILED: $1 (exit $rc):"
        printf '%s\n' "$out" | sed 's/^/    /' >&2
        failed=1
    else
        say "ok: systemd-analyze verify phs-check.service phs-check.timer phs-check-probe.service phs-check-probe.timer — $1"
    fi
}

combos=("none" "prometheus.conf" "kerberos.conf" "prometheus.conf kerberos.conf")
i=0
for combo in "${combos[@]}"; do
    i=$((i + 1))
    root=$work/root$i
    if [ "$combo" = none ]; then make_root "$root"; else read -ra list <<< "$combo"; make_root "$root" "${list[@]}"; fi
    run_verify "drop-ins: $combo" "$root"
done

# The timers' schedules parse and mean what their comments say.
for timer in phs-check.timer phs-check-probe.timer; do
    spec=$(sed -n 's/^OnCalendar=//p' "$here/$timer")
    if out=$(systemd-analyze calendar --iterations=2 "$spec" 2>&1); then
        say "ok: $timer OnCalendar=$spec"
        printf '%s\n' "$out" | sed -n 's/^ *\(Normalized form\|Next elapse\|Iter. #2\).*: /    &/p' >&2
    else
        say "FAILED: $timer OnCalendar=$spec: $out"; failed=1
    fi
done

# The sandbox: exposure score of the base unit as installed (lower is tighter).
tenths=$(awk -v t="$THRESHOLD" 'BEGIN { printf "%d", t * 10 + 0.5 }') # --threshold counts tenths
for unit in phs-check.service phs-check-probe.service; do
    if out=$(systemd-analyze security --offline=yes --root="$work/root1" --threshold="$tenths" \
            --no-pager "$unit" 2>&1); then
        say "ok: $unit $(printf '%s\n' "$out" | grep -m1 'Overall exposure level') (threshold $THRESHOLD)"
    else
        printf '%s\n' "$out" | { grep -E '^✗|Overall|Failed' || true; } | sed 's/^/    /' >&2
        say "FAILED: $unit: the sandbox's exposure is above $THRESHOLD"; failed=1
    fi
done

[ "$failed" -eq 0 ] && say "PASSED" || say "FAILED"
exit "$failed"
