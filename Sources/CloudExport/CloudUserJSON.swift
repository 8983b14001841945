public import SyncAudit

extension CloudExportReader {
    /// One user as a compact JSON object with Graph's names, dates in ISO 8601 UTC and nulls
    /// kept: a line of JSON Lines that this reader reads back to the same value. Meant for a
    /// hidden `--dump-cloud` and for debugging an export.
    public static func jsonLine(_ user: CloudUser) -> String {
        var out = "{"
        func key(_ name: CloudUserField) {
            if out.count > 1 { out += "," }
            out += "\"" + name.rawValue + "\":"
        }
        func string(_ name: CloudUserField, _ value: String?) {
            key(name)
            out += value.map(quote) ?? "null"
        }
        func bool(_ name: CloudUserField, _ value: Bool?) {
            key(name)
            out += value.map { $0 ? "true" : "false" } ?? "null"
        }
        string(.id, user.id)
        string(.userPrincipalName, user.userPrincipalName)
        bool(.accountEnabled, user.accountEnabled)
        string(.lastPasswordChangeDateTime, user.lastPasswordChangeDateTime.map(Timestamp.format))
        string(.onPremisesImmutableId, user.onPremisesImmutableId)
        bool(.onPremisesSyncEnabled, user.onPremisesSyncEnabled)
        string(.onPremisesLastSyncDateTime, user.onPremisesLastSyncDateTime.map(Timestamp.format))
        string(.onPremisesSecurityIdentifier, user.onPremisesSecurityIdentifier)
        string(.onPremisesSamAccountName, user.onPremisesSamAccountName)
        string(.onPremisesUserPrincipalName, user.onPremisesUserPrincipalName)
        string(.onPremisesDistinguishedName, user.onPremisesDistinguishedName)
        string(.onPremisesDomainName, user.onPremisesDomainName)
        string(.passwordPolicies, user.passwordPolicies)
        key(.onPremisesProvisioningErrors)
        out += "[" + user.onPremisesProvisioningErrors.map { "{\"value\":" + quote($0) + "}" }.joined(separator: ",") + "]"
        return out + "}"
    }

    private static func quote(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }
}
