#ifndef CLDAP_SHIM_H
#define CLDAP_SHIM_H

/*
 * CLDAP: libldap and liblber (OpenLDAP 2.5) for Swift.
 *
 * Swift cannot see function-like or cast macros (LDAP_OPT_ON, LDAP_SCOPE_*, LDAP_RES_*),
 * nor call C variadic functions, nor pass a C function pointer with the exact
 * LDAP_SASL_INTERACT_PROC signature conveniently. Those live here as `cldap_*` /
 * `CLDAP_*` helpers. Everything else is called directly from LDAPClient.
 *
 * Headers are found through pkg-config ("ldap"); <sasl/sasl.h> comes from libsasl2-dev.
 */

#define LDAP_DEPRECATED 0
#include <ldap.h>
#include <lber.h>
#include <sasl/sasl.h>
#include <string.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>

/* Cast macros of ldap.h as plain integer constants. */
enum {
    CLDAP_SCOPE_BASE = LDAP_SCOPE_BASE,
    CLDAP_SCOPE_ONELEVEL = LDAP_SCOPE_ONELEVEL,
    CLDAP_SCOPE_SUBTREE = LDAP_SCOPE_SUBTREE,
};

enum {
    CLDAP_RES_BIND = LDAP_RES_BIND,
    CLDAP_RES_SEARCH_ENTRY = LDAP_RES_SEARCH_ENTRY,
    CLDAP_RES_SEARCH_REFERENCE = LDAP_RES_SEARCH_REFERENCE,
    CLDAP_RES_SEARCH_RESULT = LDAP_RES_SEARCH_RESULT,
    CLDAP_RES_INTERMEDIATE = LDAP_RES_INTERMEDIATE,
};

/* ldap_set_option(3): boolean options take LDAP_OPT_ON / LDAP_OPT_OFF, which are pointers. */
static inline int cldap_set_bool_option(LDAP *ld, int option, int on) {
    return ldap_set_option(ld, option, on ? LDAP_OPT_ON : LDAP_OPT_OFF);
}

/* The OID of the RFC 2696 simple paged results control (AD: 1.2.840.113556.1.4.319). */
static inline const char *cldap_control_paged_results(void) {
    return LDAP_CONTROL_PAGEDRESULTS;
}

/*
 * SASL interaction for ldap_sasl_interactive_bind_s(3): accept every prompt's default.
 * With GSSAPI and LDAP_SASL_QUIET the only prompt is the authorization identity, whose
 * default is empty: the identity in the caller's Kerberos ticket cache is used.
 */
static inline int cldap_sasl_interact_defaults(LDAP *ld, unsigned flags, void *defaults, void *in) {
    (void)ld;
    (void)flags;
    (void)defaults;
    sasl_interact_t *interact = (sasl_interact_t *)in;
    for (; interact != NULL && interact->id != SASL_CB_LIST_END; interact++) {
        const char *value = interact->defresult != NULL ? interact->defresult : "";
        interact->result = value;
        interact->len = (unsigned)strlen(value);
    }
    return LDAP_SUCCESS;
}

/*
 * SASL GSSAPI bind from the caller's Kerberos ticket cache (KRB5CCNAME), see
 * ldap_sasl_interactive_bind_s(3). Set LDAP_OPT_X_SASL_SECPROPS before calling to ask for
 * integrity and confidentiality (e.g. "minssf=56"); read LDAP_OPT_X_SASL_SSF afterwards.
 */
static inline int cldap_sasl_gssapi_bind(LDAP *ld) {
    return ldap_sasl_interactive_bind_s(ld, NULL, "GSSAPI", NULL, NULL, LDAP_SASL_QUIET,
                                        cldap_sasl_interact_defaults, NULL);
}

/*
 * A watchdog for TLS handshakes.
 *
 * libldap 2.5 with GnuTLS does the LDAPS / StartTLS handshake inside gnutls_handshake(), which
 * with a network timeout set spins on EAGAIN without ever giving up when the server accepts the
 * TCP connection but never answers (a hung DC, a load balancer without a backend): the caller
 * would hang at 100% CPU. The guard learns the socket from a connection callback
 * (LDAP_OPT_CONNECT_CB, called right after the TCP connect) or from LDAP_OPT_DESC, and
 * cldap_handshake_guard_tick(), called by a timer every network timeout, shuts the socket down
 * when the same connected socket was already there at the previous tick (so the handshake had
 * at least one full period), which makes the handshake fail at once. The mutex makes sure the
 * socket is shut down only while it is still libldap's (armed, and not yet closed: lc_del
 * forgets it).
 */
typedef struct cldap_handshake_guard {
    struct ldap_conncb callback; /* handed to ldap_set_option(LDAP_OPT_CONNECT_CB) */
    pthread_mutex_t lock;
    int fd;    /* the connection's socket, -1 when unknown or closed */
    int armed; /* a handshake is under way */
    int seen_fd; /* the socket at the previous tick */
    int fired; /* the watchdog shut the socket down */
} cldap_handshake_guard;

/* The socket of a Sockbuf (ber_sockbuf_ctrl(3), LBER_SB_OPT_GET_FD), or -1. */
static inline int cldap_sockbuf_fd(Sockbuf *sb) {
    ber_socket_t fd = -1;
    if (sb == NULL || ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd) != 1) return -1;
    return (int)fd;
}

static inline int cldap_handshake_guard_conn_add(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv,
                                                 struct sockaddr *addr, struct ldap_conncb *ctx) {
    (void)ld;
    (void)srv;
    (void)addr;
    cldap_handshake_guard *guard = (cldap_handshake_guard *)ctx->lc_arg;
    int fd = cldap_sockbuf_fd(sb);
    pthread_mutex_lock(&guard->lock);
    guard->fd = fd;
    pthread_mutex_unlock(&guard->lock);
    return 0;
}

static inline void cldap_handshake_guard_conn_del(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx) {
    (void)ld;
    cldap_handshake_guard *guard = (cldap_handshake_guard *)ctx->lc_arg;
    /* libldap passes a NULL Sockbuf when it already destroyed it (failed TLS start): one
     * connection per handle here, so forget the socket whichever it was. */
    int fd = cldap_sockbuf_fd(sb);
    pthread_mutex_lock(&guard->lock);
    if (fd < 0 || guard->fd == fd) guard->fd = -1;
    pthread_mutex_unlock(&guard->lock);
}

/* A new guard, or NULL when out of memory. Free with cldap_handshake_guard_destroy only after
 * ldap_unbind_ext_s of the handle it was registered with (libldap keeps the callback pointer). */
static inline cldap_handshake_guard *cldap_handshake_guard_create(void) {
    cldap_handshake_guard *guard = (cldap_handshake_guard *)calloc(1, sizeof *guard);
    if (guard == NULL) return NULL;
    if (pthread_mutex_init(&guard->lock, NULL) != 0) {
        free(guard);
        return NULL;
    }
    guard->fd = -1;
    guard->callback.lc_add = cldap_handshake_guard_conn_add;
    guard->callback.lc_del = cldap_handshake_guard_conn_del;
    guard->callback.lc_arg = guard;
    return guard;
}

static inline void cldap_handshake_guard_destroy(cldap_handshake_guard *guard) {
    if (guard == NULL) return;
    pthread_mutex_destroy(&guard->lock);
    free(guard);
}

static inline struct ldap_conncb *cldap_handshake_guard_callback(cldap_handshake_guard *guard) {
    return &guard->callback;
}

/* Before a handshake: `fd` is the socket when already connected (StartTLS), else -1. */
static inline void cldap_handshake_guard_arm(cldap_handshake_guard *guard, int fd) {
    pthread_mutex_lock(&guard->lock);
    if (fd >= 0) guard->fd = fd;
    guard->armed = 1;
    guard->seen_fd = -1;
    guard->fired = 0;
    pthread_mutex_unlock(&guard->lock);
}

/* After the handshake returned; says whether the watchdog fired. */
static inline int cldap_handshake_guard_disarm(cldap_handshake_guard *guard) {
    pthread_mutex_lock(&guard->lock);
    guard->armed = 0;
    int fired = guard->fired;
    pthread_mutex_unlock(&guard->lock);
    return fired;
}

/* From the timer. Returns 1 when the timer can stop (disarmed, or the socket was shut down). */
static inline int cldap_handshake_guard_tick(cldap_handshake_guard *guard) {
    int done = 0;
    pthread_mutex_lock(&guard->lock);
    if (!guard->armed) {
        done = 1;
    } else if (guard->fd >= 0 && guard->fd == guard->seen_fd) {
        (void)shutdown(guard->fd, SHUT_RDWR);
        guard->fired = 1;
        guard->armed = 0; /* once: later ticks must not touch a socket that may be closed */
        done = 1;
    } else {
        guard->seen_fd = guard->fd;
    }
    pthread_mutex_unlock(&guard->lock);
    return done;
}

#endif
