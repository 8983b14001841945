#!/usr/bin/env bash
# Builds phs-check's Debian package: dist/phs-check_VERSION_ARCH.deb (docs/PACKAGING.md).
#
#   scripts/package.sh [--install-deps] [--scratch-path DIR] [--configuration release|debug]
#
#   1. checks the tools it needs (below) and, with --install-deps as root or under CI=true,
#      installs the missing Debian packages with apt-get (else names them and stops);
#   2. builds the release binary with the Swift runtime and Foundation linked in
#      (swift build -c release --static-swift-stdlib; libldap, SQLite and libc stay shared:
#      docs/DECISIONS.md, "Packaging"), in --scratch-path (default .build-package, apart from
#      the debug builds of .build), and strips it. --configuration debug packages the debug
#      build instead, in .build-package-debug (minutes, where the release build takes ten):
#      what CI does, to check the packaging, not to ship;
#   3. makes the man page phs-check(1) from the command definitions with swift-argument-parser's
#      generate-manual (its product, built in the same scratch path and run on the binary: what
#      the plugin `swift package generate-manual` does, without the plugin's second release
#      build of every product of every dependency), one page for every command, and the bash,
#      zsh and fish completions with `phs-check --generate-completion-script`;
#   4. stages the tree (packaging/debian, Config/, packaging/demo, docs) and writes
#      DEBIAN/control with the Depends dpkg-shlibdeps computes from the binary's NEEDED
#      libraries, the conffile list and md5sums;
#   5. builds the package with dpkg-deb --build --root-owner-group and checks its contents.
#
# The version is the tool's (`phs-check --version`) with the Debian revision of
# packaging/debian/changelog, whose top entry must match; the architecture is
# `dpkg --print-architecture`. Also in dist/: phs-check_VERSION_ARCH.debug (the binary's debug
# information, for a backtrace) and phs-check_VERSION_ARCH.contents (dpkg-deb --contents).
#
# Needs: a Swift 6 toolchain (swift.org; not from apt) and the Debian packages
#   libldap-dev libsasl2-dev libsqlite3-dev pkg-config  (the build, as scripts/install-deps.sh)
#   dpkg-dev       dpkg-shlibdeps (Depends), dpkg-parsechangelog (version, date)
#   binutils       readelf, strip, objcopy
#   groff-base     groff, to check the man page for warnings
#   gzip, dpkg     (always present on Debian)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

SCRATCH=
CONFIGURATION=release
INSTALL_DEPS=false
[ "${CI:-}" = true ] && INSTALL_DEPS=true
while [ $# -gt 0 ]; do
    case $1 in
        --install-deps) INSTALL_DEPS=true ;;
        --scratch-path) SCRATCH=${2:?--scratch-path needs a folder}; shift ;;
        --scratch-path=*) SCRATCH=${1#*=} ;;
        --configuration) CONFIGURATION=${2:?--configuration needs release or debug}; shift ;;
        --configuration=*) CONFIGURATION=${1#*=} ;;
        *) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
    shift
done
case $CONFIGURATION in
    release) SCRATCH=${SCRATCH:-.build-package} ;;
    debug) SCRATCH=${SCRATCH:-.build-package-debug} ;;
    *) echo "package.sh: --configuration $CONFIGURATION: use release or debug" >&2; exit 2 ;;
esac

T0=$(date +%s%3N)
STEP_T=$T0
TIMINGS=()
say() { printf '[package] %s\n' "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }
secs() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }
lap() {
    local now line; now=$(date +%s%3N)
    line=$(printf '%-44s %7s s' "$1" "$(secs $((now - STEP_T)))")
    TIMINGS+=("$line"); say "$line"
    STEP_T=$now
}

# --- 1. tools -------------------------------------------------------------------------------------
command -v swift >/dev/null || die "swift not found: install a Swift 6 toolchain from swift.org (not a Debian package)"
missing=()
need_cmd() { command -v "$1" >/dev/null || missing+=("$2"); }
need_pkg() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = 'install ok installed' ] || missing+=("$1"); }
need_cmd dpkg-deb dpkg
need_cmd dpkg-shlibdeps dpkg-dev
need_cmd dpkg-parsechangelog dpkg-dev
need_cmd readelf binutils
need_cmd strip binutils
need_cmd objcopy binutils
need_cmd groff groff-base
need_cmd gzip gzip
need_cmd pkg-config pkg-config
need_pkg libldap-dev
need_pkg libsasl2-dev
need_pkg libsqlite3-dev
if [ ${#missing[@]} -gt 0 ]; then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    if $INSTALL_DEPS && [ "$(id -u)" -eq 0 ]; then
        say "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >/dev/null
        apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    else
        die "missing Debian packages: ${missing[*]} — install them (apt-get install ${missing[*]}), or run this script as root with --install-deps (or CI=true)"
    fi
fi
lap "tools"

# --- 2. the binary ---------------------------------------------------------------------------------
# First swift-argument-parser's generate-manual (step 3 runs it). It runs here and only here,
# so with the toolchain's shared runtime (linked statically without the release build's dead
# stripping, Foundation misses CoreFoundation's symbols), and in a scratch path of its own:
# SwiftPM does not compile a module again when only the runtime's linking changes, and objects
# compiled for one link fail the other. It needs only swift-argument-parser: a small build.
TOOLS_SCRATCH=$SCRATCH-tools
nice -n 10 swift build -c "$CONFIGURATION" --scratch-path "$TOOLS_SCRATCH" --product generate-manual >&2 || die "building generate-manual failed"
MANUAL=$(swift build -c "$CONFIGURATION" --scratch-path "$TOOLS_SCRATCH" --show-bin-path)/generate-manual
lap "generate-manual (swift-argument-parser's tool)"
say "swift build -c $CONFIGURATION --static-swift-stdlib -Xlinker -z -Xlinker now --product phs-check (scratch path $SCRATCH)"
# -z now: every symbol bound at start, the GOT then read-only (full RELRO, lintian's
# hardening-no-bindnow); only the link changes.
BUILD=(swift build -c "$CONFIGURATION" --static-swift-stdlib --scratch-path "$SCRATCH" -Xlinker -z -Xlinker now)
nice -n 10 "${BUILD[@]}" --product phs-check >&2 || die "swift build failed"
BIN_DIR=$("${BUILD[@]}" --show-bin-path)
BUILT=$BIN_DIR/phs-check
[ -x "$BUILT" ] || die "no binary at $BUILT"
lap "swift build ($CONFIGURATION, static Swift runtime)"

# The Swift runtime and Foundation must be in the binary: no libswift*.so, libFoundation*.so or
# libdispatch.so may be NEEDED (the host has no Swift).
needed=$(readelf -d "$BUILT" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
if printf '%s\n' "$needed" | grep -E '^lib(swift|Foundation|dispatch|BlocksRuntime|_Foundation)'; then
    die "the binary needs the Swift runtime's shared libraries above (built without --static-swift-stdlib?)"
fi

# `phs-check 0.1.0 with libldap 2.5.13 (OpenLDAP, TLS: GnuTLS)`: the second word.
VERSION_LINE=$("$BUILT" --version) || die "phs-check --version failed"
VERSION_TOOL=$(printf '%s\n' "$VERSION_LINE" | sed -n 's/^phs-check \([0-9][0-9A-Za-z.+~]*\) with libldap .*/\1/p')
[ -n "$VERSION_TOOL" ] || die "phs-check --version printed '$VERSION_LINE', not 'phs-check VERSION with libldap ...'"
CHANGELOG=packaging/debian/changelog
VERSION=$(dpkg-parsechangelog -l "$CHANGELOG" -S Version)
[ "${VERSION%-*}" = "$VERSION_TOOL" ] ||
    die "$CHANGELOG's top entry is $VERSION, phs-check --version says $VERSION_TOOL: add an entry for $VERSION_TOOL-1 (and a revision bump for a packaging-only change)"
ARCH=$(dpkg --print-architecture)
MAINTAINER=$(dpkg-parsechangelog -l "$CHANGELOG" -S Maintainer)
# Every date in the package is the changelog entry's (file times, the man page): two builds of
# one version differ only where the compiler's output does.
export SOURCE_DATE_EPOCH
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$CHANGELOG" -S Timestamp)
NAME=phs-check_${VERSION}_${ARCH}
say "phs-check $VERSION_TOOL, package $VERSION, $ARCH"

mkdir -p dist
WORK=$(mktemp -d "${TMPDIR:-/tmp}/phs-check-package.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
STAGE=$WORK/debian/phs-check # where dpkg-shlibdeps expects a package's files
mkdir -p "$STAGE"

# As dh_strip does: the symbols and debug information out of the installed binary, kept beside
# the package (gdb: add-symbol-file, or `eu-unstrip`).
install -D -m 0755 "$BUILT" "$STAGE/usr/bin/phs-check"
objcopy --only-keep-debug --compress-debug-sections "$BUILT" "dist/$NAME.debug"
strip --remove-section=.comment --remove-section=.note "$STAGE/usr/bin/phs-check"
BIN=$STAGE/usr/bin/phs-check
"$BIN" --version >/dev/null || die "the stripped binary does not run"
lap "strip"

# --- 3. man page and completions ------------------------------------------------------------------
# swift-argument-parser's generate-manual, a product of the resolved dependency: built here
# with the argument parser this build compiled, so that the help the binary prints
# (--experimental-dump-help) and the tool reading it are one version. One page, every command.
# (Built before the binary, in step 2.)

MAN=$WORK/man
mkdir -p "$MAN"
"$MANUAL" "$BIN" --date "$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)" \
    --authors "$MAINTAINER" --output-directory "$MAN" >&2 || die "generate-manual failed"
[ -s "$MAN/phs-check.1" ] || die "generate-manual wrote no phs-check.1"
# Three changes to the generated mdoc: a paragraph break (.Pp) for each empty line of the help
# texts (groff warns about empty lines), the exit codes of DESCRIPTION instead of `.Ex -std`
# ("0 on success, >0 if an error occurs": 1 means findings here), and the package's FILES and
# SEE ALSO.
awk '
    /^$/ { print ".Pp"; next }
    /^\.Ex -std$/ {
        print "The exit codes are in DESCRIPTION above: 1 means findings at or above"
        print ".Fl -fail-on ,"
        print "not a failure."
        print ".Pa /usr/share/doc/phs-check/COMMANDS.md.gz"
        print "gives each command'"'"'s."
        next
    }
    /^\.Sh "EXIT STATUS"$/ {
        print ".Sh FILES"
        print ".Bl -tag -width Ds"
        print ".It Pa /etc/phs-check/phs-check.yaml"
        print "The configuration of the nightly run"
        print ".Pq Fl -config ."
        print ".It Pa /var/lib/phs-check"
        print "The history and the reports of the nightly run, owned by the user phs-check."
        print ".It Pa /usr/lib/systemd/system/phs-check.timer"
        print "The nightly run"
        print ".Pq Pa phs-check.service ,"
        print "disabled until"
        print ".Ql systemctl enable --now phs-check.timer ."
        print ".It Pa /usr/share/phs-check/demo"
        print "Demo data:"
        print ".Ql phs-check compare --config /usr/share/phs-check/demo/demo.yaml ."
        print ".El"
    }
    /^\.Sh AUTHORS$/ {
        print ".Sh SEE ALSO"
        print ".Xr systemctl 1 ,"
        print ".Xr systemd.timer 5 ,"
        print ".Xr ldap.conf 5 ;"
        print ".Pa /usr/share/doc/phs-check/README.Debian"
        print "and"
        print ".Pa /usr/share/doc/phs-check/README.md.gz ."
    }
    { print }
' "$MAN/phs-check.1" > "$MAN/phs-check.1.new" && mv "$MAN/phs-check.1.new" "$MAN/phs-check.1"
# groff's warnings (-ww) about the page; lintian runs the same check.
warnings=$(LC_ALL=C.UTF-8 groff -mandoc -ww -z -Tutf8 "$MAN/phs-check.1" 2>&1 || true)
[ -z "$warnings" ] || { printf '%s\n' "$warnings" >&2; die "the man page has groff warnings (above)"; }
for sub in check compare explain collect export-cloud history; do
    grep -q "^\.It Em $sub\$" "$MAN/phs-check.1" || die "the man page has no section for the command $sub"
done
grep -q '^\.Sh FILES$' "$MAN/phs-check.1" || die "the man page has no FILES (generate-manual changed its output?)"
install -D -m 0644 /dev/null "$STAGE/usr/share/man/man1/phs-check.1.gz"
gzip -9n < "$MAN/phs-check.1" > "$STAGE/usr/share/man/man1/phs-check.1.gz"

COMPLETIONS=(
    "bash:usr/share/bash-completion/completions/phs-check"
    "zsh:usr/share/zsh/vendor-completions/_phs-check"
    "fish:usr/share/fish/vendor_completions.d/phs-check.fish"
)
for entry in "${COMPLETIONS[@]}"; do
    shell=${entry%%:*} path=$STAGE/${entry#*:}
    install -d "$(dirname "$path")"
    # (Completion files are sourced, never run: no #! line.)
    "$BIN" --generate-completion-script "$shell" > "$WORK/completion" || die "phs-check --generate-completion-script $shell failed"
    sed '1{/^#!/d}' "$WORK/completion" > "$path"
    grep -q compare "$path" || die "the $shell completion does not know the command compare"
    chmod 0644 "$path"
done
bash -n "$STAGE/usr/share/bash-completion/completions/phs-check" || die "the bash completion is not valid bash"
lap "man page and completions"

# --- 4. the staging tree --------------------------------------------------------------------------
DOC=$STAGE/usr/share/doc/phs-check
EX=$DOC/examples
UNITS=$STAGE/usr/lib/systemd/system
install -d -m 0755 "$DOC" "$EX/systemd/phs-check.service.d" "$EX/cron.d" "$UNITS" \
    "$STAGE/usr/lib/sysusers.d" "$STAGE/etc/phs-check" "$STAGE/usr/share/phs-check/demo"

# The units and examples name /usr/local/bin/phs-check (a binary installed by hand); the
# package's is /usr/bin/phs-check.
packaged() { # source, destination, header comment line...
    local src=$1 dst=$2; shift 2
    { printf '# %s\n' "$@" | sed 's/ *$//'; sed 's#/usr/local/bin/phs-check#/usr/bin/phs-check#g' "$src"; } > "$dst"
    chmod 0644 "$dst"
    ! grep -q /usr/local/bin/phs-check "$dst" || die "$dst still names /usr/local/bin/phs-check"
}
packaged Config/systemd/phs-check.service "$UNITS/phs-check.service" \
    "Installed by the phs-check package, disabled. Set up /etc/phs-check, then:" \
    "  systemctl enable --now phs-check.timer      (/usr/share/doc/phs-check/README.Debian)" \
    "Change it with \`systemctl edit phs-check.service\`; the install lines below are for a copy" \
    "made by hand, not for this package." ""
# Where `systemctl status` and `systemctl help` send the admin: the package's man page and notes.
sed -i '/^Description=/a Documentation=man:phs-check(1) file:/usr/share/doc/phs-check/README.Debian' "$UNITS/phs-check.service"
grep -q '^Documentation=' "$UNITS/phs-check.service" || die "no Description= line in phs-check.service to add Documentation= after"
packaged Config/systemd/phs-check.timer "$UNITS/phs-check.timer" \
    "Installed by the phs-check package, disabled: systemctl enable --now phs-check.timer" ""
for dropin in Config/systemd/phs-check.service.d/*.conf; do
    packaged "$dropin" "$EX/systemd/phs-check.service.d/$(basename "$dropin")" \
        "An example of the phs-check package: copy it to /etc/systemd/system/phs-check.service.d/" ""
done
packaged Config/cron/phs-check "$EX/cron.d/phs-check" \
    "An example of the phs-check package, for a host without systemd timers: copy it to" \
    "/etc/cron.d/phs-check (the user phs-check and /var/lib/phs-check exist already)." ""
install -m 0644 Config/systemd/phs-check.sysusers "$STAGE/usr/lib/sysusers.d/phs-check.conf"
install -m 0644 Config/phs-check.example.yaml "$STAGE/etc/phs-check/phs-check.yaml"
install -m 0644 packaging/demo/snapshot.jsonl packaging/demo/entra-users.json packaging/demo/demo.yaml \
    "$STAGE/usr/share/phs-check/demo/"
install -m 0644 packaging/demo/README "$STAGE/usr/share/phs-check/demo/README"

# Documentation: Debian compresses what is over 4 KiB (never the copyright file).
install -m 0644 packaging/debian/README.Debian "$DOC/README.Debian"
gzip -9n < "$CHANGELOG" > "$DOC/changelog.Debian.gz"
for f in README.md docs/COMMANDS.md docs/FINDINGS.md docs/FORMATS.md; do
    gzip -9n < "$f" > "$DOC/$(basename "$f").gz"
done
install -d "$DOC/schema"
install -m 0644 docs/schema/*.json "$DOC/schema/"
lap "staging tree"

# The copyright file: phs-check, then each package linked into the binary (the Swift runtime
# and every SwiftPM package whose objects the link used) with its license and notice texts.
# A text that is the Apache License 2.0 of /usr/share/common-licenses is named; every other
# distinct text is written once, in a License paragraph at the end.
TOOLCHAIN_LICENSE=$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")/share/swift/LICENSE.txt
[ -f "$TOOLCHAIN_LICENSE" ] || die "no $TOOLCHAIN_LICENSE (the Swift toolchain's license)"
LINKLIST=$BIN_DIR/phs-check.product/Objects.LinkFileList
[ -f "$LINKLIST" ] || die "no $LINKLIST (the link's object list)"
mapfile -t modules < <(sed -n 's#.*/\([^/]*\)\.build/.*#\1#p' "$LINKLIST" | sort -u)
# A module's sources are where most paths in its build folder's file maps and dependency files
# point (the .d files also name the headers it includes from other packages).
CHECKOUTS=$(cd "$SCRATCH/checkouts" && pwd -P)
declare -A used=()
for m in "${modules[@]}"; do
    top=$(grep -rhoE "($ROOT/Sources|$CHECKOUTS/[^/]+)/" "$BIN_DIR/$m.build" --include='*.json' --include='*.d' |
        sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
    case $top in
        "$ROOT/Sources/") ;; # phs-check's own
        "$CHECKOUTS"/*) p=${top#"$CHECKOUTS/"}; used[${p%/}]=1 ;;
        *) die "cannot tell which package the linked module $m comes from" ;;
    esac
done
[ ${#used[@]} -gt 0 ] || die "no SwiftPM package found in the link (the object list changed form?)"
APACHE=$(tr -s ' \n\t' ' ' < /usr/share/common-licenses/Apache-2.0 | md5sum | cut -c1-32)
declare -A license_name=() license_file=()
license_of() { # file: prints its short name, remembering a text not in common-licenses
    local sum kind
    sum=$(tr -s ' \n\t' ' ' < "$1" | md5sum | cut -c1-32)
    if [ "$sum" = "$APACHE" ]; then echo Apache-2.0; return; fi
    if [ -z "${license_name[$sum]:-}" ]; then
        if grep -q 'Runtime Library Exception' "$1"; then kind='Apache-2.0 with Swift exception'
        elif grep -q 'Apache License' "$1"; then kind=Apache-2.0
        elif grep -q 'Permission is hereby granted, free of charge' "$1"; then kind=Expat
        else kind=other; fi
        license_name[$sum]="$kind, text ${sum:0:8}"
        license_file[$sum]=$1
    fi
    echo "${license_name[$sum]}"
}
indent() { sed -e 's/[ \t]*$//' -e 's/^$/./' -e 's/^/ /' "$1"; }
{
    cat packaging/debian/copyright.in
    printf '\nFiles: (linked in) Swift %s runtime: standard library, Foundation, Dispatch\n' \
        "$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([0-9.]*\).*/\1/p' | head -1)"
    printf 'Copyright: Apple Inc. and the Swift project authors\n'
    printf 'License: %s\n' "$(license_of "$TOOLCHAIN_LICENSE")"
    printf 'Comment: the swift.org toolchain'"'"'s static libraries (--static-swift-stdlib). Foundation\n'
    printf ' includes swift-foundation-icu (ICU, Unicode License v3,\n'
    printf ' https://github.com/swiftlang/swift-foundation-icu), whose text the toolchain does not ship.\n'
    for p in $(printf '%s\n' "${!used[@]}" | sort); do
        dir=$SCRATCH/checkouts/$p
        url=$(grep -o '"location" : "[^"]*"' Package.resolved | cut -d'"' -f4 | grep -iE "/$p(\.git)?\$" | head -1)
        version=$(git -C "$dir" describe --tags --exact-match 2>/dev/null || git -C "$dir" rev-parse --short HEAD)
        names=()
        # Its own license, and those of code it carries in its sources (swift-nio's llhttp).
        while IFS= read -r f; do names+=("$(license_of "$f")"); done < <(
            find "$dir" -maxdepth 4 \( -name .git -o -name Tests -o -name IntegrationTests -o -name Benchmarks \) -prune \
                -o -type f \( -name 'LICENSE*' -o -name 'COPYING*' \) -print | LC_ALL=C sort)
        [ ${#names[@]} -gt 0 ] || die "the linked package $p has no LICENSE file"
        printf '\nFiles: (linked in) %s %s, %s\n' "$p" "$version" "${url:-$p}"
        printf 'Copyright: the %s authors (its license and notice)\n' "$p"
        printf 'License: %s\n' "$(printf '%s\n' "${names[@]}" | sort -u | paste -sd'|' | sed 's/|/ and /g')"
        for f in "$dir"/NOTICE*; do
            [ -f "$f" ] || continue
            printf 'Comment: %s:\n .\n' "$(basename "$f")"
            indent "$f"
        done
    done
    printf '\nLicense: Apache-2.0\n On Debian systems, the complete text of the Apache License 2.0 is in\n /usr/share/common-licenses/Apache-2.0.\n'
    for sum in $(printf '%s\n' "${!license_name[@]}" | sort); do
        printf '\nLicense: %s\n' "${license_name[$sum]}"
        indent "${license_file[$sum]}"
    done
} > "$DOC/copyright"
chmod 0644 "$DOC/copyright"
lap "copyright"

# --- 5. control files and the package -------------------------------------------------------------
install -d -m 0755 "$STAGE/DEBIAN"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$STAGE/DEBIAN/"
# dpkg treats every file under /etc as the admin's once installed: list it as a conffile.
(cd "$STAGE" && find etc -type f | sort | sed 's#^#/#') > "$STAGE/DEBIAN/conffiles"

# Depends: the shared libraries the binary needs (its NEEDED entries), each mapped to its package
# and minimum version by the libraries' symbols files, as dh_shlibdeps does.
mkdir -p "$WORK/debian"
printf 'Source: phs-check\n\nPackage: phs-check\nArchitecture: any\n' > "$WORK/debian/control"
shlibs=$(cd "$WORK" && dpkg-shlibdeps -O -e"debian/phs-check/usr/bin/phs-check" 2>"$WORK/shlibdeps.err") ||
    { cat "$WORK/shlibdeps.err" >&2; die "dpkg-shlibdeps failed"; }
DEPENDS=${shlibs#shlibs:Depends=}
[ -n "$DEPENDS" ] && [ "$DEPENDS" != "$shlibs" ] || die "dpkg-shlibdeps gave no Depends: $shlibs"
say "the binary's NEEDED libraries and their packages:"
# Every NEEDED library must be one an installed package owns, and that package in Depends.
for lib in $needed; do
    path=$(ldd "$BIN" | awk -v l="$lib" '$1 == l && $2 == "=>" { print $3; exit } $1 ~ "/" l "$" { print $1; exit }')
    [ -n "$path" ] || die "$lib (NEEDED) is not found on this system"
    owner=
    for candidate in "$path" "/usr$path" "${path#/usr}" "$(readlink -f "$path")"; do
        owner=$(dpkg -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$owner" ] && break
    done
    [ -n "$owner" ] || die "no Debian package owns $lib ($path)"
    sed -e 's/ *([^)]*)//g' -e 's/ *[,|] */\n/g' <<< "$DEPENDS" | grep -qxF "$owner" ||
        die "$lib belongs to $owner, which Depends lacks"
    say "  $lib  $path  $owner"
done
say "Depends: $DEPENDS"

SIZE=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
cat > "$STAGE/DEBIAN/control" <<EOF
Package: phs-check
Version: $VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $SIZE
Depends: $DEPENDS
Recommends: ca-certificates, libsasl2-modules-gssapi-mit, tzdata
Suggests: krb5-user, prometheus-node-exporter
Section: admin
Priority: optional
Description: find password changes that never reached Entra ID
 phs-check finds the users whose on-premises Active Directory password
 changes never reached Microsoft Entra ID through password hash
 synchronization (PHS). It reads the users from a domain controller over
 LDAP (LDAPS, StartTLS or Kerberos) and the same users from Entra ID over
 Microsoft Graph or from an export file, joins them on the sync anchor and
 reports, per user, what is wrong and what to do next (table, JSON, CSV,
 HTML or Prometheus metrics), with a history of runs.
 .
 The package installs a systemd timer for a nightly run, disabled, and the
 system user phs-check. /usr/share/doc/phs-check/README.Debian says how to
 set it up.
EOF
(cd "$STAGE" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
    xargs -0 md5sum) > "$STAGE/DEBIAN/md5sums"

# Owners are root's (--root-owner-group); modes as staged: files 0644, directories and the binary
# and maintainer scripts 0755. Times: the changelog's.
find "$STAGE" -type d -exec chmod 0755 {} +
find "$STAGE" -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
rm -f "dist/$NAME.deb"
dpkg-deb --build --root-owner-group -Zxz "$STAGE" "dist/$NAME.deb" >&2 || die "dpkg-deb --build failed"
dpkg-deb --contents "dist/$NAME.deb" > "dist/$NAME.contents"
lap "control files and dpkg-deb"

# --- the package's contents, checked --------------------------------------------------------------
for path in ./usr/bin/phs-check ./usr/share/man/man1/phs-check.1.gz \
        ./usr/lib/systemd/system/phs-check.service ./usr/lib/systemd/system/phs-check.timer \
        ./usr/lib/sysusers.d/phs-check.conf ./etc/phs-check/phs-check.yaml \
        ./usr/share/bash-completion/completions/phs-check ./usr/share/zsh/vendor-completions/_phs-check \
        ./usr/share/fish/vendor_completions.d/phs-check.fish \
        ./usr/share/doc/phs-check/copyright ./usr/share/doc/phs-check/changelog.Debian.gz \
        ./usr/share/phs-check/demo/demo.yaml; do
    grep -q " $path\$" "dist/$NAME.contents" || die "the package lacks $path"
done
! grep -v ' root/root ' "dist/$NAME.contents" || die "files above are not root's"
[ "$(dpkg-deb -f "dist/$NAME.deb" Version)" = "$VERSION" ] || die "the package's version is not $VERSION"

say "built dist/$NAME.deb ($(du -h "dist/$NAME.deb" | cut -f1); installed $((SIZE / 1024)) MiB)"
say "timings:"
for line in "${TIMINGS[@]}"; do say "  $line"; done
say "  $(printf '%-44s %7s s' total "$(secs $(($(date +%s%3N) - T0)))")"
printf '%s\n' "dist/$NAME.deb"
