import Foundation
import SyncAudit

/// Reads Graph `/users` JSON and PowerShell `ConvertTo-Json` output, one user at a time.
///
/// The file is a sequence of top-level values, each an object or an array:
/// - an object with a `value` array is a response page, and its elements are users;
/// - any other object is a user (JSON Lines, concatenated users, one PowerShell user);
/// - an array holds pages or users, element by element.
/// So one response, pages saved one after another, an array of pages, a bare array of
/// users and JSON Lines are all the same grammar. Keys match ignoring case, so
/// PowerShell's PascalCase (`OnPremisesImmutableId`) reads like Graph's camelCase.
struct GraphJSONReader {
    let file: String
    let timeZone: TimeZone?
    var stats = Stats()
    /// The last domain name and password policies read: nearly every user repeats them, and
    /// sharing one String keeps a million users from holding a million copies.
    private var lastDomain = ""
    private var lastPolicies = ""
    /// Record where each user object lies in the text (`spans`), for `readUsersPage`.
    var keepSpans = false
    private(set) var spans: [Range<Int>] = []
    /// The last `@odata.nextLink` read.
    private(set) var nextLink: String?
    /// The header of an `export-cloud` file, and its closing line's count, when read.
    private(set) var header: GraphExportHeader?
    private(set) var endCount: Int?

    struct Stats {
        var tally = UserTally()
        var pages = 0
        var pagesWithNextLink = 0
        var topLevelValues = 0
        var topLevelUsers = 0
        var topLevelArrays = 0
        var pagesInArrays = 0
        var pascalCaseKeys = false
        var microsoftDates = false
        /// Objects whose `@odata.type` is not a user (group members that are groups, devices, ...).
        var skippedNonUsers = 0
    }

    init(file: String, timeZone: TimeZone?) {
        self.file = file
        self.timeZone = timeZone
    }

    /// Keys the reader acts on; everything else is skipped unread.
    enum Key: Int {
        case id, userPrincipalName, accountEnabled, lastPasswordChangeDateTime, onPremisesImmutableId,
             onPremisesSyncEnabled, onPremisesLastSyncDateTime, onPremisesSecurityIdentifier,
             onPremisesSamAccountName, onPremisesUserPrincipalName, onPremisesDistinguishedName,
             onPremisesDomainName, passwordPolicies, onPremisesProvisioningErrors
        case value, odataContext, odataNextLink, odataType, tenantOnly, kind

        /// The user field of the same name: the first cases follow `CloudUserField`'s order.
        var field: CloudUserField? {
            rawValue < CloudUserField.allCases.count ? CloudUserField.allCases[rawValue] : nil
        }
    }

    private static let keys: [(StaticString, Key)] = [
        ("id", .id),
        ("userprincipalname", .userPrincipalName),
        ("accountenabled", .accountEnabled),
        ("lastpasswordchangedatetime", .lastPasswordChangeDateTime),
        ("onpremisesimmutableid", .onPremisesImmutableId),
        ("onpremisessyncenabled", .onPremisesSyncEnabled),
        ("onpremiseslastsyncdatetime", .onPremisesLastSyncDateTime),
        ("onpremisessecurityidentifier", .onPremisesSecurityIdentifier),
        ("onpremisessamaccountname", .onPremisesSamAccountName),
        ("onpremisesuserprincipalname", .onPremisesUserPrincipalName),
        ("onpremisesdistinguishedname", .onPremisesDistinguishedName),
        ("onpremisesdomainname", .onPremisesDomainName),
        ("passwordpolicies", .passwordPolicies),
        ("onpremisesprovisioningerrors", .onPremisesProvisioningErrors),
        ("value", .value),
        ("@odata.context", .odataContext),
        ("@odata.nextlink", .odataNextLink),
        ("@odata.type", .odataType),
        // Keys of the `organization` and `onPremisesSynchronization` objects that no user has.
        ("verifieddomains", .tenantOnly),
        ("tenanttype", .tenantOnly),
        ("onpremiseslastpasswordsyncdatetime", .tenantOnly),
        ("features", .tenantOnly),
        // The first key of an export-cloud file's header and closing line.
        ("kind", .kind),
    ]

    private static func key(_ lex: borrowing JSONLexer) -> Key? {
        let n = lex.scratchCount
        for (name, key) in keys where name.utf8CodeUnitCount == n && lex.scratchEquals(name) {
            return key
        }
        return nil
    }

    /// Reads every top-level value to the end of the text.
    mutating func read(_ lex: inout JSONLexer, onUser: (CloudUser) throws -> Void) throws {
        while let b = try lex.peekNonWhitespace() {
            if endCount != nil {
                throw lex.error(.malformed, "something follows the closing line of the export-cloud file",
                                fix: "The file was joined or edited by hand: take the export again with phs-check export-cloud")
            }
            stats.topLevelValues += 1
            switch b {
            case 0x7B:
                if try readObject(&lex, allowPage: true, depth: 0, onUser: onUser) { stats.topLevelUsers += 1 }
            case 0x5B:
                stats.topLevelArrays += 1
                let pagesBefore = stats.pages
                try readObjects(&lex, allowPage: true, depth: 0, onUser: onUser,
                                notAnObject: "an array element that is not an object: expected users or /users response pages")
                stats.pagesInArrays += stats.pages - pagesBefore
            default:
                if stats.topLevelValues == 1 {
                    throw lex.error(.wrongFormat, "the text starts with \(JSONLexer.describe(b)), not with { or [")
                }
                throw lex.error(.malformed, "unexpected \(JSONLexer.describe(b)) after the end of a JSON document",
                                fix: "Remove what follows the export, or take the export again")
            }
        }
    }

    /// Reads the array at the current `[`, every element an object read by `readObject`;
    /// `notAnObject` is the error for any other element.
    private mutating func readObjects(_ lex: inout JSONLexer, allowPage: Bool, depth: Int,
                                      onUser: (CloudUser) throws -> Void, notAnObject: String) throws {
        try lex.enterContainer(depth)
        lex.advance()
        var first = true
        while try lex.nextElement(first: &first) {
            guard try lex.peekNonWhitespace() == 0x7B else { throw lex.error(.wrongFormat, notAnObject) }
            _ = try readObject(&lex, allowPage: allowPage, depth: depth + 1, onUser: onUser)
        }
    }

    /// Reads the object at the current `{`: a response page (its users go to `onUser`) or
    /// a user. Returns true for a user.
    private mutating func readObject(_ lex: inout JSONLexer, allowPage: Bool, depth: Int,
                                     onUser: (CloudUser) throws -> Void) throws -> Bool {
        let start = lex.mark
        try lex.enterContainer(depth)
        lex.advance()
        var user = CloudUser()
        var present: UInt32 = 0
        var isPage = false
        var hasNextLink = false
        var tenantKey: String?
        var otherType: String?
        var first = true
        var seen: UInt32 = 0
        while try lex.nextMember(first: &first) {
            guard let key = Self.key(lex) else {
                try lex.skipValue(depth: depth + 1)
                continue
            }
            // A key read twice: which value would win is up to the reader, so none is taken.
            guard seen & (1 << UInt32(key.rawValue)) == 0 else {
                throw lex.error(.malformed, "the key \"\(lex.scratchString)\" appears twice in one object (keys match whatever their letter case), so its value is ambiguous",
                                fix: "The file was edited or joined by hand: export the users again", at: lex.mark)
            }
            seen |= 1 << UInt32(key.rawValue)
            if key == .kind, depth == 0, seen == 1 << UInt32(key.rawValue), try lex.peekNonWhitespace() == 0x22 {
                try lex.readString()
                if lex.scratchEquals(GraphExportHeader.kind) {
                    guard stats.topLevelValues == 1 else {
                        throw lex.error(.malformed, "an export-cloud header that is not the first line", fix: "Take the export again with phs-check export-cloud", at: start)
                    }
                    header = try GraphExportHeader.read(&lex, depth: depth, at: start)
                    return false
                }
                if lex.scratchEquals(GraphExportHeader.endKind) {
                    guard header != nil else {
                        throw lex.error(.malformed, "an export-cloud closing line without its header", fix: "Take the export again with phs-check export-cloud", at: start)
                    }
                    endCount = try GraphExportHeader.readEnd(&lex, depth: depth, at: start)
                    return false
                }
                continue
            }
            if let field = key.field {
                if !stats.pascalCaseKeys, lex.withScratch({ $0.first.map { $0 >= 0x41 && $0 <= 0x5A } ?? false }) {
                    stats.pascalCaseKeys = true
                }
                if try readField(field, into: &user, &lex) { present |= 1 << UInt32(key.rawValue) }
                continue
            }
            let next = try lex.peekNonWhitespace()
            switch key {
            case .value where allowPage && next == 0x5B:
                isPage = true
                try readObjects(&lex, allowPage: false, depth: depth + 1, onUser: onUser,
                                notAnObject: "an element of \"value\" that is not an object: expected users")
            case .odataContext:
                let m = lex.mark
                if next == 0x22 {
                    try lex.readString()
                    try checkContext(lex.scratchString, lex, m)
                } else {
                    try lex.skipValue(depth: depth + 1)
                }
            case .odataType:
                // `/groups/{id}/members` lists directory objects of every kind, each typed.
                if next == 0x22 {
                    try lex.readString()
                    let type = lex.scratchString
                    if !type.lowercased().hasSuffix(".user") { otherType = type }
                } else {
                    try lex.skipValue(depth: depth + 1)
                }
            case .odataNextLink:
                if next == 0x22 {
                    hasNextLink = true
                    try lex.readString()
                    nextLink = lex.scratchString
                } else {
                    try lex.skipValue(depth: depth + 1)
                }
            case .tenantOnly:
                if tenantKey == nil { tenantKey = lex.scratchString }
                try lex.skipValue(depth: depth + 1)
            default:
                try lex.skipValue(depth: depth + 1)
            }
        }
        if isPage {
            stats.pages += 1
            if hasNextLink { stats.pagesWithNextLink += 1 }
            return false
        }
        if otherType != nil {
            stats.skippedNonUsers += 1
            return false
        }
        if let tenantKey {
            throw lex.error(.wrongFormat, "an object with \"\(tenantKey)\" is tenant information, not a user",
                            fix: "Give the organization or onPremisesSynchronization response with --tenant, and the /users export with --cloud",
                            at: start)
        }
        guard user.id != nil || user.userPrincipalName != nil else {
            throw lex.error(.wrongFormat,
                            allowPage ? "an object that is neither a /users response page (no \"value\" array) nor a user (no id or userPrincipalName)"
                                      : "a user without id and userPrincipalName",
                            fix: "Export the users with Get-MgUser -All -Property Id,UserPrincipalName,... (see the README), or GET /users with $select",
                            at: start)
        }
        stats.tally.add(user, present: present)
        if keepSpans { spans.append(start.offset..<lex.mark.offset) }
        try onUser(user)
        return true
    }

    /// Graph names the entity set in `@odata.context`; refuse the responses people mix up with /users.
    private func checkContext(_ context: String, _ lex: borrowing JSONLexer, _ m: JSONLexer.Mark) throws(CloudExportError) {
        guard let hash = context.lastIndex(of: "#") else { return }
        let entity = context[context.index(after: hash)...].lowercased()
        for (prefix, what, fix) in [
            ("organization", "the Graph organization response", "Give it with --tenant, and the /users export with --cloud"),
            ("directory/onpremisessynchronization", "the Graph onPremisesSynchronization response", "Give it with --tenant, and the /users export with --cloud"),
            ("groups", "a Graph /groups response", "Export users: GET /users or Get-MgUser -All"),
            ("devices", "a Graph /devices response", "Export users: GET /users or Get-MgUser -All"),
            ("serviceprincipals", "a Graph /servicePrincipals response", "Export users: GET /users or Get-MgUser -All"),
            ("applications", "a Graph /applications response", "Export users: GET /users or Get-MgUser -All"),
        ] where entity.hasPrefix(prefix) {
            throw lex.error(.wrongFormat, "this is \(what) (@odata.context \(context)), not users", fix: fix, at: m)
        }
    }

    /// Reads one known field's value; returns whether it carried a value (not null).
    private mutating func readField(_ field: CloudUserField, into user: inout CloudUser, _ lex: inout JSONLexer) throws(CloudExportError) -> Bool {
        let name = field.rawValue
        switch field {
        case .accountEnabled:
            user.accountEnabled = try readBool(name, &lex)
            return user.accountEnabled != nil
        case .onPremisesSyncEnabled:
            user.onPremisesSyncEnabled = try readBool(name, &lex)
            return user.onPremisesSyncEnabled != nil
        case .lastPasswordChangeDateTime:
            user.lastPasswordChangeDateTime = try readDate(name, &lex, later: &user.lastPasswordChangeLaterReading)
            return user.lastPasswordChangeDateTime != nil
        case .onPremisesLastSyncDateTime:
            // Only shown, never judged: of two readings, the earlier.
            var unused: Date?
            user.onPremisesLastSyncDateTime = try readDate(name, &lex, later: &unused)
            return user.onPremisesLastSyncDateTime != nil
        case .onPremisesProvisioningErrors:
            user.onPremisesProvisioningErrors = try readProvisioningErrors(&lex)
            return true
        case .onPremisesDomainName:
            user.onPremisesDomainName = try readString(name, &lex, reusing: lastDomain)
            lastDomain = user.onPremisesDomainName ?? lastDomain
            return user.onPremisesDomainName != nil
        case .passwordPolicies:
            user.passwordPolicies = try readString(name, &lex, reusing: lastPolicies)
            lastPolicies = user.passwordPolicies ?? lastPolicies
            return user.passwordPolicies != nil
        case .id, .userPrincipalName, .onPremisesImmutableId, .onPremisesSecurityIdentifier, .onPremisesSamAccountName,
             .onPremisesUserPrincipalName, .onPremisesDistinguishedName:
            let value = try readString(name, &lex)
            field.setText(value, in: &user)
            return value != nil
        }
    }

    private func readString(_ name: String, _ lex: inout JSONLexer, reusing previous: String? = nil) throws(CloudExportError) -> String? {
        let m = lex.mark
        switch try lex.peekNonWhitespace() {
        case 0x22:
            try lex.readString()
            if lex.scratchCount == 0 { return nil }
            if let previous, lex.withScratch({ previous.utf8.elementsEqual($0) }) { return previous }
            return lex.scratchString
        case 0x6E:
            _ = try lex.readLiteral()
            return nil
        default:
            try lex.skipValue()
            throw lex.error(.invalidValue, "\(name) is not text", at: m)
        }
    }

    private func readBool(_ name: String, _ lex: inout JSONLexer) throws(CloudExportError) -> Bool? {
        let m = lex.mark
        switch try lex.peekNonWhitespace() {
        case 0x74, 0x66, 0x6E:
            return try lex.readLiteral()
        case 0x22:
            try lex.readString()
            if lex.scratchEquals("true") { return true }
            if lex.scratchEquals("false") { return false }
            if lex.scratchCount == 0 { return nil }
            throw lex.error(.invalidValue, "\(name) is \"\(lex.scratchString)\", not true or false", at: m)
        default:
            try lex.skipValue()
            throw lex.error(.invalidValue, "\(name) is not true, false or null", at: m)
        }
    }

    /// A date; a local time in the hour the clocks went back reads as its earlier instant, with
    /// the later one in `later`.
    private mutating func readDate(_ name: String, _ lex: inout JSONLexer, later: inout Date?) throws(CloudExportError) -> Date? {
        let m = lex.mark
        switch try lex.peekNonWhitespace() {
        case 0x6E:
            _ = try lex.readLiteral()
            return nil
        case 0x22:
            try lex.readString()
            if lex.scratchCount == 0 { return nil }
            let outcome = lex.withScratch { JSONDate.read($0) }
            if !stats.microsoftDates, lex.withScratch({ $0.count > 6 && $0[0] == 0x2F }) { stats.microsoftDates = true }
            switch outcome {
            case .date(let date):
                return date
            case .local(let fields):
                guard let timeZone else {
                    throw lex.error(.missingTimeZone,
                                    "\(name) \"\(lex.scratchString)\" has no time zone, so it is the local time of the machine that wrote it",
                                    fix: "Give that machine's time zone with --cloud-timezone (for example Europe/Amsterdam, or UTC)",
                                    at: m)
                }
                return try resolveLocal(fields, timeZone, name, lex.scratchString, lex, m, later: &later)
            case .invalid:
                throw lex.error(.invalidDate, "\(name) \"\(lex.scratchString)\" is not a date phs-check reads (ISO 8601 or \\/Date(ms)\\/)", at: m)
            }
        default:
            try lex.skipValue()
            throw lex.error(.invalidValue, "\(name) is not a date text", at: m)
        }
    }

    private func resolveLocal(_ f: DateFields, _ zone: TimeZone, _ name: String, _ text: String,
                              _ lex: borrowing JSONLexer, _ m: JSONLexer.Mark, later: inout Date?) throws(CloudExportError) -> Date {
        switch LocalTime.resolve(f, in: zone) {
        case .date(let d): return d
        case .invalid:
            throw lex.error(.invalidDate, "\(name) \"\(text)\" is not a valid date", at: m)
        case .nonexistent:
            throw lex.error(.invalidDate, "\(name) \"\(text)\" does not exist in \(zone.identifier) (the clocks skipped that hour)",
                            fix: "Check --cloud-timezone", at: m)
        case .ambiguous(let earlier, let laterReading):
            later = laterReading
            return earlier
        }
    }

    /// `[{"category":..,"occurredDateTime":..,"propertyCausingError":..,"value":..}]`; PowerShell
    /// past its `-Depth` writes each element as its type name: an error whose details are lost.
    private func readProvisioningErrors(_ lex: inout JSONLexer) throws(CloudExportError) -> [String] {
        let m = lex.mark
        let value = try lex.readValue(depth: 1)
        switch value {
        case .null: return []
        case .array(let elements):
            var result: [String] = []
            for element in elements {
                switch element {
                case .object:
                    result.append(Self.describeProvisioningError(element))
                case .string(let s):
                    result.append(s.hasPrefix("Microsoft.") ? "provisioning error (details cut off by ConvertTo-Json: use -Depth 5)" : s)
                default:
                    throw lex.error(.invalidValue, "onPremisesProvisioningErrors holds something that is not an error object", at: m)
                }
            }
            return result
        case .string(let s):
            // A type name where PowerShell gave up; the count of errors is unknown.
            return s.hasPrefix("Microsoft.") || s.hasPrefix("System.") || s.isEmpty ? [] : [s]
        default:
            throw lex.error(.invalidValue, "onPremisesProvisioningErrors is not a list", at: m)
        }
    }

    /// `category: propertyCausingError = value` (CloudUser's documented form).
    static func describeProvisioningError(_ v: JSONValue) -> String {
        guard let category = v["category"]?.string else {
            return v["value"]?.string ?? "provisioning error"
        }
        var text = category
        if let property = v["propertyCausingError"]?.string, !property.isEmpty {
            text += ": " + property
            if let value = v["value"]?.string, !value.isEmpty { text += " = " + value }
        } else if let value = v["value"]?.string, !value.isEmpty {
            text += ": " + value
        }
        return text
    }

    /// What the file was, for the summary.
    var variant: String {
        var text: String
        if stats.pages > 0 {
            text = "Graph /users response"
            if stats.pages > 1 {
                text += stats.pagesInArrays == stats.pages ? " (\(stats.pages) pages in a JSON array)"
                                                           : " (\(stats.pages) pages one after another)"
            }
        } else if stats.topLevelArrays > 0 {
            text = stats.pascalCaseKeys ? "PowerShell ConvertTo-Json (array of users)" : "JSON array of users"
        } else if stats.topLevelUsers > 1 {
            text = stats.pascalCaseKeys ? "user objects one after another" : "JSON Lines (one user per line)"
        } else {
            text = stats.pascalCaseKeys ? "PowerShell ConvertTo-Json (one user)" : "one user object"
        }
        if stats.pascalCaseKeys && stats.pages > 0 { text += ", PascalCase keys" }
        if stats.microsoftDates { text += ", Windows PowerShell 5.1 \\/Date()\\/ dates" }
        if stats.skippedNonUsers > 0 { text += ", \(stats.skippedNonUsers) objects that are not users skipped" }
        return text
    }
}
