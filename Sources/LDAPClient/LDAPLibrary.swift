internal import CLDAP

/// The libldap this process runs with, as `--version` names it: the loaded library, not the
/// headers phs-check was built against (LDAP_OPT_API_INFO, ldap_get_option(3)).
public enum LDAPLibrary {
    /// `libldap 2.5.13 (OpenLDAP, TLS: GnuTLS)`, or what of it the library tells.
    public static var description: String {
        var info = LDAPAPIInfo()
        info.ldapai_info_version = LDAP_API_INFO_VERSION
        guard ldap_get_option(nil, LDAP_OPT_API_INFO, &info) == LDAP_OPT_SUCCESS else { return "libldap (version unknown)" }
        defer {
            ldap_memfree(info.ldapai_vendor_name)
            if let extensions = info.ldapai_extensions {
                var index = 0
                while let name = extensions[index] { ldap_memfree(name); index += 1 }
                ldap_memfree(extensions)
            }
        }
        // The vendor version is major * 10000 + minor * 100 + patch (20513 is 2.5.13).
        let v = Int(info.ldapai_vendor_version)
        var text = "libldap \(v / 10000).\(v / 100 % 100).\(v % 100)"
        var details: [String] = []
        if let vendor = info.ldapai_vendor_name { details.append(String(cString: vendor)) }
        var package: UnsafeMutablePointer<CChar>?
        if ldap_get_option(nil, LDAP_OPT_X_TLS_PACKAGE, &package) == LDAP_OPT_SUCCESS, let package {
            details.append("TLS: " + String(cString: package))
            ldap_memfree(package)
        }
        if !details.isEmpty { text += " (" + details.joined(separator: ", ") + ")" }
        return text
    }
}
