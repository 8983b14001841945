import Foundation
import SyncAudit

/// The findings an HTML report carries as data rather than rows (`HTMLReport.renderedRows`),
/// compact enough for 100,000 of them: one JSON array per finding, its fields in the order of
/// `fields`, and each message and command stored once as a template in which the finding's own
/// values (DN, UPN, name, times, domain) stand as the characters U+0001 to U+0006. The page's
/// script puts the values back, so the text shown is exactly the finding's. A text that holds
/// one of those characters itself is carried whole instead.
///
/// The page's script reads it with `JSON.parse` from a `<script type="application/json">`
/// block, which is never run; `<` is written as `\u003c` so no value can close the block.
struct FindingsData {
    /// The names of a row's fields, in order (the script reads them by position). A report whose
    /// findings carry a status (`--history`) adds `firstSeen` and `runsOpen`; others end at `cloudId`.
    static let fields = ["code", "sam", "upn", "dn", "domain", "onPrem", "cloud", "matchedBy", "status", "message",
                         "command", "waited", "cloudId", "firstSeen", "runsOpen"]

    private(set) var json = ""

    init(_ findings: ArraySlice<Finding>, asOf: Date, domains: Bool, status: Bool) {
        var templates: [String] = []
        var templateIndex: [String: Int] = [:]
        /// A template's index, or the text itself when it cannot be a template.
        func template(_ text: String?, _ values: [String?]) -> String {
            guard let text else { return "null" }
            func hasToken(_ s: String) -> Bool { s.utf8.contains { $0 >= 1 && $0 <= 6 } }
            if hasToken(text) || values.contains(where: { $0.map(hasToken) == true }) { return Self.string(text) }
            var t = Array(text.utf8)
            for (n, value) in values.enumerated() {
                guard let value, value.utf8.count >= 4 else { continue }
                t = Self.replacing(Array(value.utf8), with: UInt8(n + 1), in: t)
            }
            let key = String(decoding: t, as: UTF8.self)
            if let index = templateIndex[key] { return String(index) }
            templateIndex[key] = templates.count
            templates.append(key)
            return String(templates.count - 1)
        }
        var codes: [FindingCode] = []
        var rows: [String] = []
        rows.reserveCapacity(findings.count)
        for finding in findings {
            let user = finding.directoryUser, cloud = finding.cloudUser
            if !codes.contains(finding.code) { codes.append(finding.code) }
            let onPremDate = user?.pwdLastSet.date
            let onPrem = onPremDate.map(Timestamp.format)
            let cloudTime = cloud?.lastPasswordChangeDateTime.map(Timestamp.format)
            let domain = domains ? finding.domain : nil
            // The replacement order: longer values first (a DN holds the name, a UPN too). Only
            // values the row carries: a run of one domain writes no domain, so its name stays text.
            let values = [finding.distinguishedName, finding.userPrincipalName, finding.samAccountName, onPrem, cloudTime, domain]
            var waited: String?
            if let onPremDate, finding.code == .passwordNotSynced || finding.code == .passwordSyncPending {
                waited = HumanDuration.format(asOf.timeIntervalSince(onPremDate))
            }
            let onPremField = onPrem.map(Self.string) ?? (user?.pwdLastSet == .mustChange ? "\"m\"" : "null")
            let cloudField = cloudTime.map(Self.string) ?? (cloud != nil ? "0" : "null")
            var row: [String] = [
                String(codes.firstIndex(of: finding.code)!),
                Self.string(finding.samAccountName), Self.string(finding.userPrincipalName), Self.string(finding.distinguishedName),
                Self.string(domain), onPremField, cloudField, Self.string(finding.matchedBy?.rawValue),
                Self.string(status ? finding.status?.rawValue : nil),
                template(finding.message, values), template(finding.command, values), Self.string(waited),
                Self.string(finding.samAccountName == nil && finding.userPrincipalName == nil ? cloud?.id : nil),
            ]
            if status {
                row.append(Self.string(finding.firstSeen.map(Timestamp.format)))
                row.append(finding.runsOpen.map { String($0) } ?? "null")
            }
            rows.append("[" + row.joined(separator: ",") + "]")
        }
        var w = "{\"codes\":[" + codes.map { "[\"\($0.rawValue)\",\"\($0.severity.rawValue)\"]" }.joined(separator: ",") + "]"
        w += ",\"templates\":[" + templates.map(Self.string).joined(separator: ",") + "]"
        w += ",\"rows\":[\n" + rows.joined(separator: ",\n") + "\n]}"
        json = w.replacingOccurrences(of: "<", with: "\\u003c")
    }

    /// `text` with each occurrence of `value` (bytes) made the one byte `token`.
    static func replacing(_ value: [UInt8], with token: UInt8, in text: [UInt8]) -> [UInt8] {
        guard let first = value.first, text.count >= value.count else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            if text[i] == first, i + value.count <= text.count, text[i..<(i + value.count)].elementsEqual(value) {
                out.append(token)
                i += value.count
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }

    private static func string(_ value: String?) -> String {
        guard let value else { return "null" }
        var out = ""
        JSONObjectWriter.appendString(value, to: &out)
        return out
    }
}
