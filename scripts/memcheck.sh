#!/usr/bin/env bash
# Memory safety of the C boundary, against the real test directory (started if not running):
#   1. a collect of 20,000 users from slapd under valgrind: no block definitely lost
#      (a leak in the libldap calls — a BerElement, a message, a value array — shows there);
#   2. the LDAP integration tests under AddressSanitizer, on the Swift code (-sanitize=address):
#      every libldap call and every pointer phs-check hands to or takes from it is Swift code
#      (the CLDAP module is a header, libldap the system's). Built in the main build folder, so
#      that the C libraries of the dependencies (BoringSSL in swift-nio-ssl and swift-crypto, a
#      third of the build) are not compiled again; the Swift modules are, so the next plain
#      `swift build` rebuilds them once more.
# Exits non-zero on any sanitizer report, test failure or leak. CI runs it after the tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
# Stop the test directory at the end only if this run starts it (grep reads all of the status:
# with pipefail, `grep -q` would end the pipe early and read as "not running").
if ! scripts/test-directory.sh status | grep '^running' >/dev/null; then
    trap 'scripts/test-directory.sh stop' EXIT
fi
scripts/test-directory.sh start all
eval "$(scripts/test-directory.sh env)"

echo "== collect of $PHS_TEST_SLAPD_LARGE_USERS users under valgrind ==" >&2
swift build --product phs-check >&2
# Valgrind 3.19 cannot read the DWARF 5 the Swift 6 toolchain writes: a copy without it (the
# symbol table stays, so reports still name functions). Uninitialised-value tracking is off:
# the Swift runtime's metadata caches trip it without a fault, and leaks are what is checked.
bin=$(mktemp)
strip --strip-debug -o "$bin" "$(swift build --show-bin-path)/phs-check"
log=$(mktemp)
valgrind --quiet --undef-value-errors=no --leak-check=full --show-leak-kinds=definite \
    --errors-for-leak-kinds=definite --error-exitcode=99 --log-file="$log" \
    "$bin" collect --quiet --ldap-url "$PHS_TEST_SLAPD_URL" --allow-cleartext-bind \
    --bind-dn "CN=admin,$PHS_TEST_SLAPD_LARGE_BASE_DN" --bind-password-file "$PHS_TEST_SLAPD_PASSWORD_FILE" \
    --base-dn "$PHS_TEST_SLAPD_LARGE_BASE_DN" --output /dev/null || status=$?
cat "$log" >&2
if [ "${status:-0}" -ne 0 ]; then
    echo "memcheck: valgrind reported errors or definite leaks (exit ${status})" >&2
    exit 1
fi

echo "== LDAP integration tests under AddressSanitizer ==" >&2
swift build --build-tests -Xswiftc -sanitize=address >&2
# Peak memory means nothing under the sanitizer's quarantine: that one test is left out.
PHS_CHECK_BIN="$PWD/.build/debug/phs-check" LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp" \
    swift test --skip-build -Xswiftc -sanitize=address \
    --filter 'LDAPClientTests|LDAPFault|CollectTests|RunSafetyTests' --skip 'memoryDoesNotGrowWithUsers'
echo "memcheck: no definite leak in a collect of $PHS_TEST_SLAPD_LARGE_USERS users, no sanitizer report" >&2
