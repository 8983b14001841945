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

/* ldap_modify_ext_s(3): replace an attribute's values, given as bervals. */
enum {
    CLDAP_MOD_REPLACE_BVALUES = LDAP_MOD_REPLACE | LDAP_MOD_BVALUES,
};

/* ldap_set_option(3): boolean options take LDAP_OPT_ON / LDAP_OPT_OFF, which are pointers. */
static inline int cldap_set_bool_option(LDAP *ld, int option, int on) {
    return ldap_set_option(ld, option, on ? LDAP_OPT_ON : LDAP_OPT_OFF);
}

/* The OID of the RFC 2696 simple paged results control (AD: 1.2.840.113556.1.4.319). */
static inline const char *cldap_control_paged_results(void) {
    return LDAP_CONTROL_PAGEDRESULTS;
}

/* The OID of the StartTLS extended operation (RFC 4511 4.14), for ldap_extended_operation_s(3). */
static inline const char *cldap_exop_start_tls(void) {
    return LDAP_EXOP_START_TLS;
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
 * The connection guard: one per LDAP handle, told about the connection's socket by a connection
 * callback (LDAP_OPT_CONNECT_CB, which libldap calls right after the TCP connect, before any TLS).
 * It does two things.
 *
 * 1. A deadline for connecting. libldap 2.5 with GnuTLS does the LDAPS / StartTLS handshake
 *    inside gnutls_handshake(), which with a network timeout set spins on EAGAIN without ever
 *    giving up when the server accepts the TCP connection but never answers (a hung DC, a load
 *    balancer without a backend). A timer calls cldap_connection_guard_expire() once the
 *    deadline of the whole attempt (TCP connect, StartTLS request, TLS handshake) has passed,
 *    and then every few milliseconds until the attempt returns: the connected socket is shut
 *    down, which makes the handshake fail at once. A socket that connects only after the
 *    deadline is refused by the callback (the connect fails). The mutex makes sure the socket
 *    is shut down only while it is still libldap's (armed, and not yet closed: lc_del forgets
 *    it).
 *
 * 2. A limit on the size of what the server sends. liblber allocates a whole LDAPMessage as soon
 *    as it has read its BER length (ber_get_next), so a peer that sends 0x30 0x84 0x7F 0xFF 0xFF
 *    0xFF makes the client allocate 2 GiB and read into it. The callback sets the connection's
 *    Sockbuf limit (ber_sockbuf_ctrl(3) LBER_SB_OPT_SET_MAX_INCOMING; liblber then fails the read
 *    with ERANGE and libldap reports LDAP_SERVER_DOWN), and pushes a Sockbuf I/O layer above
 *    every other (TLS, SASL) that follows the BER framing of the plain LDAP stream and records
 *    the length of the first message over the limit, so that the caller can say so instead of
 *    "Can't contact LDAP server".
 */
typedef struct cldap_connection_guard {
    struct ldap_conncb callback; /* handed to ldap_set_option(LDAP_OPT_CONNECT_CB) */
    Sockbuf_IO io;               /* the framing watcher, see cldap_watch_* */
    pthread_mutex_t lock;
    int fd;      /* the connection's socket, -1 when unknown or closed */
    int armed;   /* a connection attempt is under way */
    int expired; /* its deadline passed before the socket was known */
    int fired;   /* the guard shut the socket down (or refused it) */
    ber_len_t max_incoming; /* 0: no limit */
    /* Framing of the incoming stream; only touched by libldap's (the owner's) thread. */
    int frame_state;
    int frame_length_bytes;
    int frame_long_length; /* the length had more than 4 bytes: liblber refuses it */
    unsigned long long frame_value;
    unsigned long long frame_remaining;
    unsigned long long oversize; /* length of the first message over the limit; 0: none */
} cldap_connection_guard;

enum { CLDAP_FRAME_TAG, CLDAP_FRAME_TAG_MORE, CLDAP_FRAME_LENGTH, CLDAP_FRAME_LENGTH_MORE,
       CLDAP_FRAME_CONTENT, CLDAP_FRAME_STOPPED };

/* The layer above TLS (LBER_SBIOD_LEVEL_TRANSPORT) and SASL (LBER_SBIOD_LEVEL_APPLICATION). */
#define CLDAP_WATCH_LEVEL (LBER_SBIOD_LEVEL_APPLICATION + 10)

static inline void cldap_watch_length_done(cldap_connection_guard *guard) {
    /* liblber's own checks in ber_get_next: more than 4 length bytes, or more than the limit. */
    if (guard->frame_long_length
        || (guard->max_incoming > 0 && guard->frame_value > (unsigned long long)guard->max_incoming)) {
        guard->oversize = guard->frame_value;
        guard->frame_state = CLDAP_FRAME_STOPPED;
        return;
    }
    guard->frame_remaining = guard->frame_value;
    guard->frame_state = guard->frame_remaining > 0 ? CLDAP_FRAME_CONTENT : CLDAP_FRAME_TAG;
}

/* Follows tag, length and content of each BER element of the stream. */
static inline void cldap_watch_scan(cldap_connection_guard *guard, const unsigned char *bytes, size_t count) {
    size_t i = 0;
    while (i < count) {
        unsigned char byte = bytes[i];
        switch (guard->frame_state) {
        case CLDAP_FRAME_TAG:
            guard->frame_state = (byte & 0x1f) == 0x1f ? CLDAP_FRAME_TAG_MORE : CLDAP_FRAME_LENGTH;
            i++;
            break;
        case CLDAP_FRAME_TAG_MORE:
            if (!(byte & 0x80)) guard->frame_state = CLDAP_FRAME_LENGTH;
            i++;
            break;
        case CLDAP_FRAME_LENGTH:
            i++;
            guard->frame_value = 0;
            guard->frame_long_length = 0;
            if (byte & 0x80) {
                guard->frame_length_bytes = byte & 0x7f;
                if (guard->frame_length_bytes == 0) { /* indefinite: liblber refuses it too */
                    guard->frame_state = CLDAP_FRAME_STOPPED;
                } else {
                    guard->frame_long_length = guard->frame_length_bytes > 4;
                    guard->frame_state = CLDAP_FRAME_LENGTH_MORE;
                }
            } else {
                guard->frame_value = byte;
                cldap_watch_length_done(guard);
            }
            break;
        case CLDAP_FRAME_LENGTH_MORE:
            i++;
            guard->frame_value = guard->frame_value > (~0ULL >> 8) ? ~0ULL : (guard->frame_value << 8) | byte;
            if (--guard->frame_length_bytes == 0) cldap_watch_length_done(guard);
            break;
        case CLDAP_FRAME_CONTENT: {
            size_t left = count - i;
            size_t take = guard->frame_remaining < left ? (size_t)guard->frame_remaining : left;
            i += take;
            guard->frame_remaining -= take;
            if (guard->frame_remaining == 0) guard->frame_state = CLDAP_FRAME_TAG;
            break;
        }
        default:
            return;
        }
    }
}

static inline int cldap_watch_setup(Sockbuf_IO_Desc *sbiod, void *arg) {
    sbiod->sbiod_pvt = arg;
    return 0;
}

static inline int cldap_watch_remove(Sockbuf_IO_Desc *sbiod) {
    (void)sbiod;
    return 0;
}

static inline int cldap_watch_ctrl(Sockbuf_IO_Desc *sbiod, int option, void *arg) {
    return LBER_SBIOD_CTRL_NEXT(sbiod, option, arg);
}

static inline ber_slen_t cldap_watch_read(Sockbuf_IO_Desc *sbiod, void *buffer, ber_len_t length) {
    if (sbiod->sbiod_next == NULL) return -1;
    ber_slen_t got = LBER_SBIOD_READ_NEXT(sbiod, buffer, length);
    if (got > 0) cldap_watch_scan((cldap_connection_guard *)sbiod->sbiod_pvt, (const unsigned char *)buffer, (size_t)got);
    return got;
}

static inline ber_slen_t cldap_watch_write(Sockbuf_IO_Desc *sbiod, void *buffer, ber_len_t length) {
    if (sbiod->sbiod_next == NULL) return -1;
    return LBER_SBIOD_WRITE_NEXT(sbiod, buffer, length);
}

static inline int cldap_watch_close(Sockbuf_IO_Desc *sbiod) {
    (void)sbiod;
    return 0;
}

/* The socket of a Sockbuf (ber_sockbuf_ctrl(3), LBER_SB_OPT_GET_FD), or -1. */
static inline int cldap_sockbuf_fd(Sockbuf *sb) {
    ber_socket_t fd = -1;
    if (sb == NULL || ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd) != 1) return -1;
    return (int)fd;
}

static inline int cldap_connection_guard_conn_add(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv,
                                                  struct sockaddr *addr, struct ldap_conncb *ctx) {
    (void)ld;
    (void)srv;
    (void)addr;
    cldap_connection_guard *guard = (cldap_connection_guard *)ctx->lc_arg;
    int fd = cldap_sockbuf_fd(sb);
    pthread_mutex_lock(&guard->lock);
    int late = guard->armed && guard->expired;
    if (late) {
        guard->fired = 1;
        guard->armed = 0;
    } else {
        guard->fd = fd;
    }
    pthread_mutex_unlock(&guard->lock);
    if (late) return -1; /* connected after the deadline: libldap fails the connect */

    /* A new stream: limit and watch it. Both stay for the Sockbuf's life (ldap_unbind_ext_s). */
    guard->frame_state = CLDAP_FRAME_TAG;
    guard->oversize = 0;
    if (guard->max_incoming > 0) {
        ber_len_t max = guard->max_incoming;
        (void)ber_sockbuf_ctrl(sb, LBER_SB_OPT_SET_MAX_INCOMING, &max);
    }
    if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_HAS_IO, &guard->io) != 1) {
        if (ber_sockbuf_add_io(sb, &guard->io, CLDAP_WATCH_LEVEL, guard) != 0) return -1;
    }
    return 0;
}

static inline void cldap_connection_guard_conn_del(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx) {
    (void)ld;
    cldap_connection_guard *guard = (cldap_connection_guard *)ctx->lc_arg;
    /* libldap passes a NULL Sockbuf when it already destroyed it (failed TLS start): one
     * connection per handle here, so forget the socket whichever it was. */
    int fd = cldap_sockbuf_fd(sb);
    pthread_mutex_lock(&guard->lock);
    if (fd < 0 || guard->fd == fd) guard->fd = -1;
    pthread_mutex_unlock(&guard->lock);
}

/* A new guard limiting incoming messages to `max_incoming` bytes (0: no limit), or NULL when
 * out of memory. Free with cldap_connection_guard_destroy only after ldap_unbind_ext_s of the
 * handle it was registered with (libldap keeps the callback pointer, the Sockbuf the layer). */
static inline cldap_connection_guard *cldap_connection_guard_create(ber_len_t max_incoming) {
    cldap_connection_guard *guard = (cldap_connection_guard *)calloc(1, sizeof *guard);
    if (guard == NULL) return NULL;
    if (pthread_mutex_init(&guard->lock, NULL) != 0) {
        free(guard);
        return NULL;
    }
    guard->fd = -1;
    guard->max_incoming = max_incoming;
    guard->callback.lc_add = cldap_connection_guard_conn_add;
    guard->callback.lc_del = cldap_connection_guard_conn_del;
    guard->callback.lc_arg = guard;
    guard->io.sbi_setup = cldap_watch_setup;
    guard->io.sbi_remove = cldap_watch_remove;
    guard->io.sbi_ctrl = cldap_watch_ctrl;
    guard->io.sbi_read = cldap_watch_read;
    guard->io.sbi_write = cldap_watch_write;
    guard->io.sbi_close = cldap_watch_close;
    return guard;
}

static inline void cldap_connection_guard_destroy(cldap_connection_guard *guard) {
    if (guard == NULL) return;
    pthread_mutex_destroy(&guard->lock);
    free(guard);
}

static inline struct ldap_conncb *cldap_connection_guard_callback(cldap_connection_guard *guard) {
    return &guard->callback;
}

/* The declared length of the first incoming message over the limit since the connection was
 * made, or 0. Read it on the thread that makes the libldap calls. */
static inline unsigned long long cldap_connection_guard_oversize(cldap_connection_guard *guard) {
    return guard->oversize;
}

/* Before a connection attempt: `fd` is the socket when already connected (StartTLS), else -1. */
static inline void cldap_connection_guard_arm(cldap_connection_guard *guard, int fd) {
    pthread_mutex_lock(&guard->lock);
    if (fd >= 0) guard->fd = fd;
    guard->armed = 1;
    guard->expired = 0;
    guard->fired = 0;
    pthread_mutex_unlock(&guard->lock);
}

/* After the attempt returned; says whether the guard fired. */
static inline int cldap_connection_guard_disarm(cldap_connection_guard *guard) {
    pthread_mutex_lock(&guard->lock);
    guard->armed = 0;
    int fired = guard->fired;
    pthread_mutex_unlock(&guard->lock);
    return fired;
}

/* From the timer, at the deadline and after it. Returns 1 when the timer can stop (disarmed,
 * or the socket was shut down). */
static inline int cldap_connection_guard_expire(cldap_connection_guard *guard) {
    int done = 0;
    pthread_mutex_lock(&guard->lock);
    if (!guard->armed) {
        done = 1;
    } else if (guard->fd >= 0) {
        (void)shutdown(guard->fd, SHUT_RDWR);
        guard->fired = 1;
        guard->armed = 0; /* once: later ticks must not touch a socket that may be closed */
        done = 1;
    } else {
        guard->expired = 1; /* still connecting: the callback refuses a late socket */
    }
    pthread_mutex_unlock(&guard->lock);
    return done;
}

#endif
