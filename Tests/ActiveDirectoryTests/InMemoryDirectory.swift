import Foundation
import LDAPClient
@testable import ActiveDirectory

/// A directory in memory: entries per search base, served page by page like a DC, with a
/// log of requests and of when each entry was handed out.
final class InMemoryDirectory: DirectorySearching {
    struct Request: Equatable {
        var base: String
        var scope: LDAPScope
        var filter: String
        var attributes: [String]
        var pageSize: Int?
    }

    let url = "ldap://dc.test"
    var rootDSE: LDAPEntry?
    /// Entries returned for a base (matched exactly), filters are not evaluated.
    var entries: [String: [LDAPEntry]] = [:]
    var errors: [String: LDAPError] = [:]
    private(set) var requests: [Request] = []
    /// "entry N" when entry N is handed to the caller, "returned N" when its callback returns.
    private(set) var events: [String] = []

    func search(base: String, scope: LDAPScope, filter: String, attributes: [String], pageSize: Int?,
                onPage: (LDAPPageInfo) -> Void, onEntry: (LDAPEntry) throws -> Void) throws {
        requests.append(Request(base: base, scope: scope, filter: filter, attributes: attributes, pageSize: pageSize))
        if let error = errors[base] { throw error }
        if base.isEmpty, scope == .base {
            if let rootDSE { try onEntry(rootDSE) }
            onPage(LDAPPageInfo(page: 1, entriesSoFar: rootDSE == nil ? 0 : 1))
            return
        }
        let all = entries[base] ?? []
        let size = pageSize.flatMap { $0 > 0 ? $0 : nil } ?? max(all.count, 1)
        var delivered = 0
        var page = 0
        repeat {
            page += 1
            for entry in all[delivered..<min(delivered + size, all.count)] {
                events.append("entry \(entry.dn)")
                try onEntry(entry)
                events.append("returned \(entry.dn)")
                delivered += 1
            }
            onPage(LDAPPageInfo(page: page, entriesSoFar: delivered))
        } while delivered < all.count
    }

    static func user(_ name: String, under base: String) -> LDAPEntry {
        LDAPEntry(dn: "CN=\(name),\(base)", attributes: [
            "sAMAccountName": [Data(name.utf8)],
            "objectGUID": [Data(repeating: UInt8(name.utf8.count), count: 16)],
            "objectSid": [hex("01 05 000000000005 15000000 c7f7fed7 7c7755c8 945ace01 f5030000")],
            "pwdLastSet": [Data("133540023670000000".utf8)],
            "userAccountControl": [Data("512".utf8)],
        ])
    }
}
