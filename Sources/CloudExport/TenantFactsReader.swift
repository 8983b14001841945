import Foundation
public import SyncAudit

/// Reads `--tenant FILE`: the Graph `organization` response and/or the
/// `directory/onPremisesSynchronization` response (or their PowerShell `ConvertTo-Json`
/// forms), each a single object or `{"value":[...]}`, in one file or saved one after
/// another, or in a JSON array.
public enum TenantFactsReader {
    /// The file is read whole into values: at most `limits.maxInputSize` bytes of it.
    public static func read(path: String, limits: InputLimits = InputLimits()) throws(CloudExportError) -> TenantFacts {
        let stream: any ByteStream
        do {
            stream = LimitedStream(try FileStream(path: path), limit: limits.maxInputSize)
        } catch {
            throw CloudExportError(.unreadableFile, path, "cannot open the file: \(error.message)",
                                   fix: "Check the path given with --tenant")
        }
        return try read(stream: stream, name: path, limits: limits)
    }

    public static func read(bytes: [UInt8], name: String) throws(CloudExportError) -> TenantFacts {
        try read(stream: MemoryStream(bytes), name: name)
    }

    static func read(stream: any ByteStream, name: String, limits: InputLimits = InputLimits()) throws(CloudExportError) -> TenantFacts {
        let stream = try CloudExportReader.decompressing(stream, name, limit: limits.maxInputSize)
        let input = try CloudExportReader.decodedInput(stream, name)
        var lex = JSONLexer(input: input, file: name, capacity: 1 << 16, maxString: limits.maxRecordSize)
        var facts = TenantFacts()
        var recognised = 0
        var sawValue = false
        while let b = try lex.peekNonWhitespace() {
            let start = lex.mark
            guard b == 0x7B || b == 0x5B else {
                throw lex.error(sawValue ? .malformed : .wrongFormat,
                                "unexpected \(JSONLexer.describe(b))" + (sawValue ? " after the end of a JSON document" : ": a tenant file is JSON"),
                                fix: "Save the output of GET /organization and GET /directory/onPremisesSynchronization")
            }
            sawValue = true
            let value = try lex.readValue()
            recognised += try apply(value, to: &facts, lex, start)
        }
        guard sawValue else {
            throw CloudExportError(.empty, name, "the tenant file is empty",
                                   fix: "Save the output of GET /organization and GET /directory/onPremisesSynchronization")
        }
        guard recognised > 0 else {
            throw CloudExportError(.wrongFormat, name,
                                   "neither an organization nor an onPremisesSynchronization object is in the file",
                                   fix: "Save the output of GET /organization (Get-MgOrganization) and/or GET /directory/onPremisesSynchronization")
        }
        return facts
    }

    /// Applies every organization and onPremisesSynchronization object in `value`, and a
    /// `TenantDocument`'s Cloud Sync jobs; returns how many.
    static func apply(_ value: JSONValue, to facts: inout TenantFacts, _ lex: borrowing JSONLexer,
                              _ at: JSONLexer.Mark) throws(CloudExportError) -> Int {
        switch value {
        case .array(let elements):
            var n = 0
            for e in elements { n += try apply(e, to: &facts, lex, at) }
            return n
        case .object:
            if let inner = value["value"], case .array = inner {
                return try apply(inner, to: &facts, lex, at)
            }
            var n = 0
            if value["organization"] != nil || value["cloudSync"] != nil {
                // A TenantDocument (export-cloud header, or a live read).
                for key in ["organization", "organizationBeta", "onPremisesSynchronization"] {
                    if let part = value[key] { n += try apply(part, to: &facts, lex, at) }
                }
                if let cloudSync = value["cloudSync"], case .array(let entries) = cloudSync {
                    var all: [CloudSyncJob] = []
                    for entry in entries { all += try jobs(entry, lex, at) }
                    facts.cloudSyncJobs = all
                    n += 1
                }
                return n
            }
            if let features = value["features"], case .object = features {
                if let v = features["passwordSyncEnabled"]?.bool { facts.passwordSyncEnabled = v }
                if let v = features["userForcePasswordChangeOnLogonEnabled"]?.bool {
                    facts.userForcePasswordChangeOnLogonEnabled = v
                }
                n += 1
            }
            let orgKeys = ["onPremisesLastPasswordSyncDateTime", "onPremisesLastSyncDateTime", "verifiedDomains", "tenantType"]
            if orgKeys.contains(where: { value[$0] != nil }) {
                // PowerShell's organization model has no property for it: it lands in AdditionalProperties.
                let heartbeat = value["onPremisesLastPasswordSyncDateTime"]
                    ?? value["additionalProperties"]?["onPremisesLastPasswordSyncDateTime"]
                facts.lastPasswordSyncDateTime = try date(heartbeat, "onPremisesLastPasswordSyncDateTime", lex, at) ?? facts.lastPasswordSyncDateTime
                facts.lastDirSyncDateTime = try date(value["onPremisesLastSyncDateTime"], "onPremisesLastSyncDateTime", lex, at) ?? facts.lastDirSyncDateTime
                if let v = value["onPremisesSyncEnabled"]?.bool { facts.onPremisesSyncEnabled = v }
                n += 1
            }
            if n == 0, value["userPrincipalName"] != nil {
                throw lex.error(.wrongFormat, "this is a user, not tenant information",
                                fix: "Give the /users export with --cloud and the organization response with --tenant", at: at)
            }
            return n
        default:
            return 0
        }
    }

    /// The jobs of one `{"servicePrincipal": {...}, "jobs": <jobs response>}` entry.
    private static func jobs(_ entry: JSONValue, _ lex: borrowing JSONLexer, _ at: JSONLexer.Mark) throws(CloudExportError) -> [CloudSyncJob] {
        let sp = entry["servicePrincipal"]
        let configuration = sp?["displayName"]?.string ?? "(unnamed)"
        let spId = sp?["id"]?.string ?? ""
        guard case .array(let jobs) = entry["jobs"]?["value"] else {
            throw lex.error(.wrongFormat, "the synchronization jobs of the service principal \(spId) are not a Graph collection (no \"value\" array)", at: at)
        }
        var result: [CloudSyncJob] = []
        for job in jobs {
            guard let id = job["id"]?.string, let templateId = job["templateId"]?.string else {
                throw lex.error(.wrongFormat, "a synchronization job of the service principal \(spId) has no id or templateId", at: at)
            }
            let status = job["status"]
            let quarantine = status?["quarantine"]
            let last = status?["lastExecution"]
            var failures: Int?
            if case .number(let n) = status?["countSuccessiveCompleteFailures"] { failures = Int(n) }
            let lastError = last?["error"].flatMap { error -> String? in
                guard let code = error["code"]?.string else { return error["message"]?.string }
                return error["message"]?.string.map { "\(code): \($0)" } ?? code
            }
            result.append(CloudSyncJob(
                configuration: configuration, servicePrincipalId: spId, id: id, templateId: templateId,
                scheduleState: job["schedule"]?["state"]?.string, statusCode: status?["code"]?.string,
                successiveFailures: failures, quarantineReason: quarantine?["reason"]?.string,
                quarantineSince: try date(quarantine?["currentBegan"], "quarantine.currentBegan", lex, at),
                lastExecutionState: last?["state"]?.string,
                lastExecutionEnded: try date(last?["timeEnded"], "lastExecution.timeEnded", lex, at),
                lastExecutionError: lastError,
                lastSuccessEnded: try date(status?["lastSuccessfulExecution"]?["timeEnded"], "lastSuccessfulExecution.timeEnded", lex, at)))
        }
        return result
    }

    private static func date(_ value: JSONValue?, _ name: String, _ lex: borrowing JSONLexer,
                             _ at: JSONLexer.Mark) throws(CloudExportError) -> Date? {
        guard let value, case .string(let text) = value, !text.isEmpty else { return nil }
        switch JSONDate.read(text) {
        case .date(let d): return d
        case .local, .invalid:
            throw lex.error(.invalidDate, "\(name) \"\(text)\" is not a date with a time zone (ISO 8601 or \\/Date(ms)\\/)", at: at)
        }
    }
}
