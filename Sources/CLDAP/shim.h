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

#endif
