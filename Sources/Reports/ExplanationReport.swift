public import SyncAudit
import Foundation

/// `explain USER`: the on-premises facts, the cloud facts, the rule trace step by step, the
/// findings and the next step. The table is for a person (directory and export text made safe
/// for a terminal); the JSON follows docs/schema/explain.schema.json.
public enum ExplanationReport {
    public static func render(_ e: Explanation, color: Bool) -> String {
        let paint = Paint(enabled: color)
        let u = e.user
        var out = warningBanner(e.warnings, paint: paint)
        out += paint.bold(terminalSafe(u.samAccountName)) + "  \(terminalSafe(u.distinguishedName))\n\n"
        out += "On-premises\n"
        for (k, v) in directoryFacts(u) { out += "  " + TableReport.pad(k, 24) + terminalSafe(v) + "\n" }
        out += "\nCloud\n"
        if let c = e.cloudUser {
            for (k, v) in cloudFacts(c) + [("matched by", e.matchedBy?.rawValue ?? "-")] {
                out += "  " + TableReport.pad(k, 24) + terminalSafe(v) + "\n"
            }
        } else {
            out += "  no matching cloud user\n"
        }
        out += "\nRules, in the order check applies them (as of \(Timestamp.format(e.settings.asOf)))\n"
        for step in e.steps {
            let mark: String = switch step.outcome {
            case .pass: "ok  "
            case .notReached: "--  "
            case .finding(let f): f.severity == .error ? "FAIL" : f.severity == .warning ? "WARN" : "INFO"
            }
            var line = "  \(mark)  " + TableReport.pad(step.rule.title, Self.titleWidth)
            switch step.outcome {
            case .notReached: line += "not reached: " + (step.facts.isEmpty ? "an earlier step decided" : terminalSafe(step.facts))
            case .pass: line += terminalSafe(step.facts)
            case .finding(let f): line += terminalSafe(step.facts) + "  → \(f.code.rawValue)"
            }
            out += line + "\n"
        }
        if e.findings.isEmpty {
            out += "\n" + paint.green("Nothing to do: this user's latest password change is in Entra ID.") + "\n"
            return out
        }
        out += "\nFindings\n"
        for f in e.findings {
            out += "  " + paint.severity(f.severity, f.code.rawValue) + "  " + terminalSafe(f.message) + "\n"
            out += "    Next: " + f.nextStep + "\n"
            if let command = f.command { out += "    Run:  " + terminalSafe(command) + "\n" }
        }
        return out
    }

    /// The explanation as JSON (docs/schema/explain.schema.json).
    public static func json(_ e: Explanation, version: String) -> String {
        var top = MultilineJSONObject()
        top.add("tool", "phs-check")
        top.add("version", version)
        top.add("asOf", Timestamp.format(e.settings.asOf))
        top.add("asOfSource", e.settings.asOfSource.rawValue)
        let u = e.user
        var user = JSONObjectWriter()
        user.add("samAccountName", u.samAccountName)
        user.add("distinguishedName", u.distinguishedName)
        user.add("userPrincipalName", u.userPrincipalName)
        user.add("objectGUID", u.objectGUID?.uuidString)
        user.add("consistencyGuid", u.consistencyGuid?.base64EncodedString())
        user.add("objectSid", u.objectSid)
        user.add("enabled", u.isEnabled)
        user.add("pwdLastSet", u.pwdLastSet.date.map(Timestamp.format))
        user.add("mustChangePassword", u.pwdLastSet == .mustChange)
        user.add("unicodePwdLastChanged", u.unicodePwdLastChanged.map(Timestamp.format))
        user.add("adminDescription", u.adminDescription)
        user.add("structuralClass", u.structuralClass)
        user.add("accountExpires", u.accountExpires.map(Timestamp.format))
        user.add("flags", u.userAccountControl.names)
        top.add("user", json: user.finish())
        if let c = e.cloudUser {
            var cloud = JSONObjectWriter()
            cloud.add("id", c.id)
            cloud.add("userPrincipalName", c.userPrincipalName)
            cloud.add("accountEnabled", c.accountEnabled)
            cloud.add("lastPasswordChangeDateTime", c.lastPasswordChangeDateTime.map(Timestamp.format))
            cloud.add("onPremisesImmutableId", c.onPremisesImmutableId)
            cloud.add("onPremisesSyncEnabled", c.onPremisesSyncEnabled)
            cloud.add("onPremisesLastSyncDateTime", c.onPremisesLastSyncDateTime.map(Timestamp.format))
            top.add("cloudUser", json: cloud.finish())
        } else {
            top.add("cloudUser", json: "null")
        }
        top.add("matchedBy", optional: e.matchedBy?.rawValue)
        let steps = e.steps.map { step -> String in
            var w = JSONObjectWriter()
            w.add("rule", step.rule.rawValue)
            w.add("name", step.rule.title)
            w.add("facts", step.facts.isEmpty ? nil : step.facts)
            switch step.outcome {
            case .pass: w.add("outcome", "pass")
            case .notReached: w.add("outcome", "not-reached")
            case .finding(let f):
                w.add("outcome", "finding")
                w.add("code", f.code.rawValue)
            }
            return w.finish()
        }
        top.add("steps", json: MultilineJSONObject.array(steps, indent: 4))
        top.add("findings", json: MultilineJSONObject.array(e.findings.map { JSONReport.finding($0, waited: e.settings.waited($0)) }, indent: 4))
        top.add("warnings", json: JSONReport.warnings(e.warnings))
        top.add("nextStep", optional: e.nextStep)
        top.add("command", optional: e.command)
        return top.finish()
    }

    /// The step names' column: the longest name and a space.
    static let titleWidth = RuleStep.allCases.map(\.title.count).max()! + 1

    /// The directory user's facts as the table shows them.
    static func directoryFacts(_ u: DirectoryUser) -> [(String, String)] {
        let pwd = switch u.pwdLastSet {
        case .absent: "never set"
        case .mustChange: "0 (must change at next logon)"
        case .set(let d, let ticks): "\(Timestamp.format(d)) (\(ticks))"
        }
        return [
            ("userPrincipalName", u.userPrincipalName ?? "-"),
            ("objectGUID", u.objectGUID.map { "\($0.uuidString) (\($0.base64))" } ?? "-"),
            ("mS-DS-ConsistencyGuid", u.consistencyGuid?.base64EncodedString() ?? "-"),
            ("objectSid", u.objectSid ?? "-"),
            ("enabled", u.isEnabled ? "yes" : "no"),
            ("userAccountControl", u.userAccountControl.names.joined(separator: ", ")),
            ("accountExpires", u.accountExpires.map(Timestamp.format) ?? "never"),
            ("pwdLastSet", pwd),
            ("unicodePwd changed", u.unicodePwdLastChanged.map(Timestamp.format) ?? "-"),
            ("adminDescription", u.adminDescription ?? "-"),
            ("object class", u.structuralClass ?? "-"),
        ]
    }

    static func cloudFacts(_ c: CloudUser) -> [(String, String)] {
        [
            ("id", c.id ?? "-"), ("userPrincipalName", c.userPrincipalName ?? "-"),
            ("accountEnabled", c.accountEnabled.map(String.init) ?? "-"),
            ("lastPasswordChange", c.lastPasswordChangeDateTime.map(Timestamp.format) ?? "-"),
            ("onPremisesImmutableId", c.onPremisesImmutableId ?? "-"),
            ("onPremisesSyncEnabled", c.onPremisesSyncEnabled.map(String.init) ?? "null"),
            ("onPremisesLastSync", c.onPremisesLastSyncDateTime.map(Timestamp.format) ?? "-"),
        ]
    }
}
