/// Helpers for LDAP search filters (RFC 4515).
public enum LDAPFilter {
    /// Escapes `value` for use as an assertion value inside a filter, e.g.
    /// `"(sAMAccountName=\(LDAPFilter.escape(name)))"`: `*` `(` `)` `\` and NUL become
    /// `\2a` `\28` `\29` `\5c` `\00` (RFC 4515 section 3). Other characters, UTF-8
    /// included, are left as they are.
    public static func escape(_ value: String) -> String {
        var result = ""
        result.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "*": result += "\\2a"
            case "(": result += "\\28"
            case ")": result += "\\29"
            case "\\": result += "\\5c"
            case "\0": result += "\\00"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
