# The test directory's two Samba AD DCs in a container: scripts/test-directory.sh, unchanged,
# provisions the domains PHS.TEST (dc1.phs.test on 127.0.0.1) and EMEA.TEST (dc2.emea.test on
# 127.0.0.2), each with its Staff and Bulk test users, and slapd into $PHS_TEST_DIR on first
# start and then serves them in the foreground; SIGTERM stops them cleanly.
#
# Each DC binds to its own loopback address only (interfaces=127.0.0.1, interfaces=127.0.0.2), so
# run it with the host's network (compose.yaml: network_mode host) to reach it from the host as
# ldaps://dc1.phs.test and ldaps://dc2.emea.test, exactly where CI's directory is. The script
# adds 127.0.0.2 to lo when it is missing, which needs the capability NET_ADMIN (compose.yaml:
# cap_add) unless the host has added it. See docker/README.md.
#
#   docker build -f docker/testdc.Dockerfile -t phs-check-testdc .
#   podman --runtime runc build --network=host --build-arg BASE_IMAGE=localhost/debian:bookworm \
#       --ignorefile docker/testdc.Dockerfile.dockerignore -f docker/testdc.Dockerfile -t phs-check-testdc .
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}

# The Debian packages of scripts/install-deps.sh's test-directory lines (iproute2: `ip`, which
# puts DC 2's 127.0.0.2 on lo), plus procps (pkill, used by `stop`). `run all` serves both DCs
# and slapd (the scale tests' directory).
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends \
        samba samba-ad-dc samba-ad-provision samba-dsdb-modules python3-samba winbind \
        krb5-user ldap-utils slapd procps iproute2 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/phs-check
COPY scripts/ scripts/

# The state folder (domain database, TLS CA, admin password, krb5.conf, ticket cache). Mount it
# from the host at the same path as inside so that `scripts/test-directory.sh env` on the host
# prints paths valid on both sides (compose.yaml does).
ENV PHS_TEST_DIR=/var/lib/phs-testdir

# LDAP, LDAPS, Kerberos, global catalog (Samba, on 127.0.0.1 and 127.0.0.2); 3389 is slapd's.
EXPOSE 389 636 88 3268 3389
STOPSIGNAL SIGTERM
CMD ["scripts/test-directory.sh", "run", "all"]
