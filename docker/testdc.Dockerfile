# The test directory's Samba AD DC in a container: scripts/test-directory.sh, unchanged, provisions
# the domain PHS.TEST (dc1.phs.test, the Staff and Bulk test users) into $PHS_TEST_DIR on first
# start and then serves it in the foreground; SIGTERM stops Samba cleanly.
#
# Samba binds to loopback only (the script provisions with interfaces=lo), so run it with the
# host's network (compose.yaml: network_mode host) to reach it from the host as ldaps://dc1.phs.test,
# exactly where CI's directory is. See docker/README.md.
#
#   docker build -f docker/testdc.Dockerfile -t phs-check-testdc .
#   podman --runtime runc build --network=host --build-arg BASE_IMAGE=localhost/debian:bookworm \
#       --ignorefile docker/testdc.Dockerfile.dockerignore -f docker/testdc.Dockerfile -t phs-check-testdc .
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}

# The Debian packages of scripts/install-deps.sh's test-directory line, plus procps (pkill, used
# by `stop`). slapd is installed too, for scale tests, though `run` serves Samba only.
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends \
        samba samba-ad-dc samba-ad-provision samba-dsdb-modules python3-samba winbind \
        krb5-user ldap-utils slapd procps \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/phs-check
COPY scripts/ scripts/

# The state folder (domain database, TLS CA, admin password, krb5.conf, ticket cache). Mount it
# from the host at the same path as inside so that `scripts/test-directory.sh env` on the host
# prints paths valid on both sides (compose.yaml does).
ENV PHS_TEST_DIR=/var/lib/phs-testdir

# LDAP, LDAPS, Kerberos, global catalog (Samba); 3389 is slapd's.
EXPOSE 389 636 88 3268 3389
STOPSIGNAL SIGTERM
CMD ["scripts/test-directory.sh", "run", "all"]
