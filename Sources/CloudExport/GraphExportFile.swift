public import Foundation
public import SyncAudit

/// The file `phs-check export-cloud` writes (docs/FORMATS.md "The export-cloud file"): JSON
/// Lines, one header line, one line per user exactly as Graph sent it (minified), and a
/// closing line that counts them, so a file cut short is told from a complete one.
///
///     {"kind":"phs-check/cloud-export","version":1,"tool":..,"tenantId":..,"graphUrl":..,
///      "fetchStartedAt":..,"fetchFinishedAt":..,"properties":[..],"tenant":{..},"notes":[..]}
///     {"id":..,"userPrincipalName":..,...}
///     {"kind":"phs-check/cloud-export-end","users":N}
///
/// `tenant` holds Graph's own responses: `organization` (v1.0), `organizationBeta` (the PHS
/// heartbeat; null when Graph refused it), `onPremisesSynchronization` (null when Graph refused it) and `cloudSync` (each Cloud Sync service principal with its jobs
/// response), read back by the same code that reads them live (`TenantFactsReader`).
public struct GraphExportHeader: Sendable, Hashable {
    public static let kind: StaticString = "phs-check/cloud-export"
    public static let endKind: StaticString = "phs-check/cloud-export-end"
    public static let version = 1

    public var tool: String
    public var tenantId: String
    /// The Graph root with its version, e.g. `https://graph.microsoft.com/v1.0`.
    public var graphURL: String
    /// When the first `/users` request was sent: the comparison's `asOf` (`asOfSource` graph).
    public var fetchStartedAt: Date
    public var fetchFinishedAt: Date
    /// The `$select` of the `/users` requests.
    public var properties: [String]
    /// The tenant's state as read with the users.
    public var tenant: TenantFacts
    /// What Graph did not give and why (a 403 on `onPremisesSynchronization`, ...).
    public var notes: [String]

    public init(tool: String, tenantId: String, graphURL: String, fetchStartedAt: Date, fetchFinishedAt: Date,
                properties: [String], tenant: TenantFacts, notes: [String]) {
        self.tool = tool
        self.tenantId = tenantId
        self.graphURL = graphURL
        self.fetchStartedAt = fetchStartedAt
        self.fetchFinishedAt = fetchFinishedAt
        self.properties = properties
        self.tenant = tenant
        self.notes = notes
    }

    /// The header line (with its line feed); `tenantDocument` is the JSON `TenantDocument` built.
    public func line(tenantDocument: [UInt8]) -> [UInt8] {
        var w = JSONObjectWriter()
        w.add("kind", "\(Self.kind)")
        w.add("version", Self.version)
        w.add("tool", tool)
        w.add("tenantId", tenantId)
        w.add("graphUrl", graphURL)
        w.add("fetchStartedAt", Timestamp.format(fetchStartedAt))
        w.add("fetchFinishedAt", Timestamp.format(fetchFinishedAt))
        w.add("properties", properties)
        w.add("tenant", json: String(decoding: JSONMinifier.minify(tenantDocument), as: UTF8.self))
        w.add("notes", notes)
        return Array((w.finish() + "\n").utf8)
    }

    /// The closing line.
    public static func endLine(users: Int) -> [UInt8] {
        var w = JSONObjectWriter()
        w.add("kind", "\(endKind)")
        w.add("users", users)
        return Array((w.finish() + "\n").utf8)
    }

    /// Reads the header's members after `kind` (the reader met `"kind":"phs-check/cloud-export"`).
    static func read(_ lex: inout JSONLexer, depth: Int, at start: JSONLexer.Mark) throws(CloudExportError) -> GraphExportHeader {
        let members = try restOfObject(&lex, depth: depth)
        func text(_ key: String) throws(CloudExportError) -> String {
            guard let value = members[key]?.string else {
                throw lex.error(.malformed, "the export-cloud header has no \"\(key)\"", fix: "Take the export again with phs-check export-cloud", at: start)
            }
            return value
        }
        func date(_ key: String) throws(CloudExportError) -> Date {
            let value = try text(key)
            guard case .date(let date) = JSONDate.read(value) else {
                throw lex.error(.invalidDate, "the export-cloud header's \(key) \"\(value)\" is not a time with a zone", at: start)
            }
            return date
        }
        guard case .number(let v) = members["version"], v == String(version) else {
            throw lex.error(.wrongFormat, "the export-cloud file is version \(members["version"].map { "\($0)" } ?? "none"); this phs-check reads version \(version)",
                            fix: "Take the export again with this phs-check's export-cloud", at: start)
        }
        var tenant = TenantFacts()
        if let document = members["tenant"] {
            _ = try TenantFactsReader.apply(document, to: &tenant, lex, start)
        }
        var properties: [String] = []
        if case .array(let values) = members["properties"] { properties = values.compactMap(\.string) }
        var notes: [String] = []
        if case .array(let values) = members["notes"] { notes = values.compactMap(\.string) }
        return GraphExportHeader(tool: try text("tool"), tenantId: try text("tenantId"), graphURL: try text("graphUrl"),
                                 fetchStartedAt: try date("fetchStartedAt"), fetchFinishedAt: try date("fetchFinishedAt"),
                                 properties: properties, tenant: tenant, notes: notes)
    }

    /// Reads the closing line's members after `kind`; returns its user count.
    static func readEnd(_ lex: inout JSONLexer, depth: Int, at start: JSONLexer.Mark) throws(CloudExportError) -> Int {
        guard case .number(let n) = try restOfObject(&lex, depth: depth)["users"], let users = Int(n) else {
            throw lex.error(.malformed, "the export-cloud closing line has no user count", at: start)
        }
        return users
    }

    /// The members of the object being read after its first (`kind`), by key.
    private static func restOfObject(_ lex: inout JSONLexer, depth: Int) throws(CloudExportError) -> [String: JSONValue] {
        var members: [String: JSONValue] = [:]
        var first = false
        while try lex.nextMember(first: &first) {
            let key = lex.scratchString
            members[key] = try lex.readValue(depth: depth + 1)
        }
        return members
    }
}

/// The tenant's state as Graph answered, in one JSON document: the header's `tenant` member,
/// and what a live read hands to `TenantFactsReader`.
///
///     {"organization": <GET /v1.0/organization response>,
///      "organizationBeta": <GET /beta/organization response (the PHS heartbeat)> | null,
///      "onPremisesSynchronization": <GET /directory/onPremisesSynchronization response> | null,
///      "cloudSync": [{"servicePrincipal": {"id":..,"displayName":..},
///                     "jobs": <GET /servicePrincipals/{id}/synchronization/jobs response>}] | null}
public struct TenantDocument: Sendable {
    public var organization: [UInt8]?
    /// `GET /beta/organization`: the PHS heartbeat is on beta only.
    public var organizationBeta: [UInt8]?
    public var onPremisesSynchronization: [UInt8]?
    /// `nil`: the Cloud Sync jobs were not read.
    public var cloudSync: [(servicePrincipalId: String, displayName: String, jobs: [UInt8])]?

    public init() {}

    public var json: [UInt8] {
        var out = Array("{\"organization\":".utf8)
        out += organization.map(JSONMinifier.minify) ?? Array("null".utf8)
        out += Array(",\"organizationBeta\":".utf8)
        out += organizationBeta.map(JSONMinifier.minify) ?? Array("null".utf8)
        out += Array(",\"onPremisesSynchronization\":".utf8)
        out += onPremisesSynchronization.map(JSONMinifier.minify) ?? Array("null".utf8)
        out += Array(",\"cloudSync\":".utf8)
        if let cloudSync {
            out += Array("[".utf8)
            for (index, entry) in cloudSync.enumerated() {
                var sp = JSONObjectWriter()
                sp.add("id", entry.servicePrincipalId)
                sp.add("displayName", entry.displayName)
                out += Array(((index > 0 ? "," : "") + "{\"servicePrincipal\":" + sp.finish() + ",\"jobs\":").utf8)
                out += JSONMinifier.minify(entry.jobs)
                out += Array("}".utf8)
            }
            out += Array("]".utf8)
        } else {
            out += Array("null".utf8)
        }
        out += Array("}".utf8)
        return out
    }

    /// The facts in it; throws when a response is not what Graph sends.
    public func facts(name: String) throws(CloudExportError) -> TenantFacts {
        var facts = TenantFacts()
        let bytes = json
        var lex = JSONLexer(input: try CloudExportReader.decodedInput(MemoryStream(bytes), name), file: name, capacity: max(bytes.count, 64))
        let start = lex.mark
        let value = try lex.readValue()
        _ = try TenantFactsReader.apply(value, to: &facts, lex, start)
        return facts
    }
}

/// Removes the whitespace between JSON tokens (strings are copied as they are), so that a
/// value from Graph is one line of a JSON Lines file. JSON allows no raw line break in a string.
public enum JSONMinifier {
    public static func minify(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var inString = false
        var escaped = false
        for b in bytes {
            if inString {
                out.append(b)
                if escaped { escaped = false } else if b == 0x5C { escaped = true } else if b == 0x22 { inString = false }
                continue
            }
            switch b {
            case 0x20, 0x09, 0x0A, 0x0D: continue
            case 0x22: inString = true
            default: break
            }
            out.append(b)
        }
        return out
    }
}

/// One response page of `GET /users`, as the Graph client reads it.
public struct GraphUsersPage: Sendable {
    public var users: [CloudUser]
    /// Each user's JSON object, minified, one line each (with its line feed): the export-cloud body.
    public var lines: [UInt8]
    /// `@odata.nextLink`, verbatim; nil on the last page.
    public var nextLink: String?
    /// The fields at least one user of the page carries.
    public var fieldsPresent: Set<CloudUserField>
}

extension CloudExportReader {
    /// Reads one `/users` response page from Graph (UTF-8 JSON). Throws `malformed` (and the
    /// other kinds) when the page is not a Graph users page.
    public static func readUsersPage(_ bytes: [UInt8], name: String, limits: InputLimits = InputLimits(),
                                     keepLines: Bool) throws(CloudExportError) -> GraphUsersPage {
        let input = try decodedInput(MemoryStream(bytes), name)
        var lexer = JSONLexer(input: input, file: name, maxString: limits.maxRecordSize)
        var reader = GraphJSONReader(file: name, timeZone: nil)
        reader.keepSpans = keepLines
        var users: [CloudUser] = []
        do {
            try reader.read(&lexer) { users.append($0) }
        } catch let error as CloudExportError {
            throw error
        } catch {
            preconditionFailure("only CloudExportError can be thrown here: \(error)")
        }
        guard reader.stats.pages == 1, reader.stats.topLevelValues == 1, reader.stats.topLevelArrays == 0 else {
            throw CloudExportError(.malformed, name, "the response is not one /users page (an object with a \"value\" array)")
        }
        var lines: [UInt8] = []
        if keepLines {
            // The lexer's offsets are the file's for UTF-8 (a byte order mark included).
            for span in reader.spans {
                lines += JSONMinifier.minify(bytes[span])
                lines.append(0x0A)
            }
        }
        return GraphUsersPage(users: users, lines: lines, nextLink: reader.nextLink,
                              fieldsPresent: CloudUserField.fields(inMask: reader.stats.tally.present))
    }
}
