# Shared by docker/podman-smoke.sh and docker/podman-nightly-smoke.sh (sourced, not run; it only
# defines functions). They expect the say/die/lap helpers of the sourcing script;
# ensure_base_image also PODMAN (array), WORK, SUITE, BASE_IMAGE and REBUILD_BASE.

install_missing() { # Debian packages...: installs those not installed yet (apt-get update first)
    local missing=() p
    for p in "$@"; do
        [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = 'install ok installed' ] || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >/dev/null
        apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# The local Debian base image, made with debootstrap from this machine's own APT mirror because
# no registry is reachable.

mirror_for() { # the first URI serving SUITE in the machine's APT sources (deb822 or one-line)
    local suite=$1 f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v suite="$suite" '
            BEGIN { RS = ""; FS = "\n" }
            {
                uris = ""; suites = ""; types = ""; enabled = "yes"
                for (i = 1; i <= NF; i++) {
                    line = $i
                    if (line ~ /^[ \t]*#/) continue
                    if (match(line, /^URIs:[ \t]*/)) uris = substr(line, RLENGTH + 1)
                    else if (match(line, /^Suites:[ \t]*/)) suites = substr(line, RLENGTH + 1)
                    else if (match(line, /^Types:[ \t]*/)) types = substr(line, RLENGTH + 1)
                    else if (match(line, /^Enabled:[ \t]*/)) enabled = substr(line, RLENGTH + 1)
                }
                if (enabled != "no" && (" " types " ") ~ / deb / && (" " suites " ") ~ (" " suite " ")) {
                    split(uris, u, /[ \t]+/); print u[1]; exit
                }
            }' "$f" | grep -m1 . && return 0
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk -v suite="$suite" '$1 == "deb" {
                n = 2; if ($2 ~ /^\[/) { while (n <= NF && $n !~ /\]$/) n++; n++ }
                if ($(n + 1) == suite) { print $n; exit }
            }' "$f" | grep -m1 . && return 0
    done
    return 1
}

ensure_base_image() {
    if $REBUILD_BASE || ! "${PODMAN[@]}" image exists "$BASE_IMAGE"; then
        MIRROR=$(mirror_for "$SUITE") || die "no Debian mirror for $SUITE in /etc/apt/sources.list.d"
        say "debootstrap --variant=minbase $SUITE from $MIRROR"
        ROOTFS=$WORK/rootfs
        debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR" > "$WORK/debootstrap.log" 2>&1 ||
            { tail -20 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
        # The image's APT sources: the machine's mirrors for the suite, its updates and security.
        {
            for s in "$SUITE" "$SUITE-updates" "$SUITE-security"; do
                uri=$(mirror_for "$s") && printf 'deb %s %s main\n' "$uri" "$s"
            done
        } > "$ROOTFS/etc/apt/sources.list"
        rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/cache/apt/archives/*.deb
        old_base=$("${PODMAN[@]}" image inspect --format '{{.Id}}' "$BASE_IMAGE" 2>/dev/null || true)
        tar -C "$ROOTFS" --numeric-owner -c . |
            "${PODMAN[@]}" import --change 'CMD ["/bin/bash"]' \
                --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
                - "$BASE_IMAGE" > "$WORK/import.log" 2>&1 || { cat "$WORK/import.log" >&2; die "podman import failed"; }
        [ -z "$old_base" ] || "${PODMAN[@]}" rmi "$old_base" >/dev/null 2>&1 || true
        rm -rf --one-file-system "$ROOTFS"
        lap "base image (debootstrap + import)"
    else
        say "reusing $BASE_IMAGE (--rebuild-base to remake it)"
        lap "base image (reused)"
    fi
}
