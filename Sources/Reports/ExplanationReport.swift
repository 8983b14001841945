public import SyncAudit
import Foundation

/// `explain USER` for a person: the on-premises facts, the cloud facts, each rule's verdict
/// and the next step. Directory and export text is made safe for a terminal.
public enum ExplanationReport {
    public static func render(_ e: Explanation, color: Bool) -> String {
        let paint = Paint(enabled: color)
        let u = e.user
        var out = paint.bold(terminalSafe(u.samAccountName)) + "  \(terminalSafe(u.distinguishedName))\n\n"
        out += "On-premises\n"
        let onPrem: [(String, String)] = [
            ("userPrincipalName", u.userPrincipalName ?? "-"),
            ("objectGUID", u.objectGUID.map { "\($0.uuidString) (\($0.base64))" } ?? "-"),
            ("mS-DS-ConsistencyGuid", u.consistencyGuid?.base64EncodedString() ?? "-"),
            ("objectSid", u.objectSid ?? "-"),
            ("enabled", u.isEnabled ? "yes" : "no (\(u.userAccountControl.names.joined(separator: ", ")))"),
            ("pwdLastSet", { switch u.pwdLastSet {
                case .absent: "never set"
                case .mustChange: "0 (must change at next logon)"
                case .set(let d, let raw): "\(Timestamp.format(d)) (\(raw))"
            } }()),
            ("unicodePwd changed", u.unicodePwdLastChanged.map(Timestamp.format) ?? "-"),
            ("adminDescription", u.adminDescription ?? "-"),
        ]
        for (k, v) in onPrem { out += "  " + TableReport.pad(k, 24) + terminalSafe(v) + "\n" }
        out += "\nCloud\n"
        if let c = e.cloudUser {
            let cloud: [(String, String)] = [
                ("id", c.id ?? "-"), ("userPrincipalName", c.userPrincipalName ?? "-"),
                ("accountEnabled", c.accountEnabled.map(String.init) ?? "-"),
                ("lastPasswordChange", c.lastPasswordChangeDateTime.map(Timestamp.format) ?? "-"),
                ("onPremisesImmutableId", c.onPremisesImmutableId ?? "-"),
                ("onPremisesSyncEnabled", c.onPremisesSyncEnabled.map(String.init) ?? "null"),
                ("onPremisesLastSync", c.onPremisesLastSyncDateTime.map(Timestamp.format) ?? "-"),
                ("matched by", e.matchedBy?.rawValue ?? "-"),
            ]
            for (k, v) in cloud { out += "  " + TableReport.pad(k, 24) + terminalSafe(v) + "\n" }
        } else {
            out += "  no matching cloud user\n"
        }
        out += "\nRules\n"
        for rule in e.rules {
            let mark: String = switch rule.verdict {
            case .pass: "ok  "
            case .notApplicable: "--  "
            case .finding(let f): f.severity == .error ? "FAIL" : f.severity == .warning ? "WARN" : "INFO"
            }
            out += "  \(mark)  " + TableReport.pad(rule.name, 14) + terminalSafe(rule.facts)
            if case .finding(let f) = rule.verdict { out += "  → \(f.code.rawValue)" }
            out += "\n"
        }
        for tenant in e.findings where tenant.scope == .tenant {
            out += "  FAIL  " + TableReport.pad("Tenant", 14) + "\(tenant.code.rawValue): \(terminalSafe(tenant.message))\n"
        }
        out += "\nNext step\n  " + terminalSafe(e.nextStep ?? "Nothing to do: this user's latest password change is in Entra ID.") + "\n"
        return out
    }
}
