#!/usr/bin/env bash
# Installs the Debian packages phs-check builds, tests and demos with. Idempotent; needs root
# (or sudo). Swift itself is assumed to be installed (swift.org toolchain).
set -euo pipefail

PACKAGES=(
    # build: libldap and SASL headers for the CLDAP module
    libldap-dev libsasl2-dev pkg-config
    # run: GSSAPI binds from a Kerberos ticket cache
    libsasl2-modules-gssapi-mit krb5-user
    # the test directory: two real Samba AD DCs and OpenLDAP slapd; ip puts DC 2's 127.0.0.2 on lo
    samba samba-ad-dc samba-ad-provision samba-dsdb-modules python3-samba winbind slapd ldap-utils
    iproute2
    # tests and benchmarks: JSON Schema validation, GNU time for peak memory, jq as a baseline
    python3-jsonschema time jq
    # RunHistory: SQLite for GRDB
    libsqlite3-dev
    # ReportsTests: Prometheus' own text parser for --format prometheus (/usr/bin/python3's
    # prometheus_client; Debian's package, as pip refuses the system Python), and headless
    # Chromium that opens the --format html report
    python3-prometheus-client chromium
    # SchedulingTests: systemd-analyze verifies Config/systemd/; flock runs Config/cron's line
    systemd util-linux
    # scripts/memcheck.sh: collect under valgrind (no leak from libldap calls)
    valgrind
    # the LDAP fault tests make their own certificates (unknown CA, name mismatch)
    openssl
    # CommandLineTests: the generated completion scripts are loaded by the shells they are for
    zsh fish
    # scripts/graph-emulator.py: RSA signatures of client assertions (Microsoft Graph tests)
    python3-cryptography curl
)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "[install-deps] installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
