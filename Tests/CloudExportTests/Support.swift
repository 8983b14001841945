import Foundation
import SyncAudit
@testable import CloudExport

/// The four users every fixture in `Fixtures/valid` holds, as Graph knows them.
///
/// CSV fixtures write their dates in Europe/Amsterdam local time (CET and CEST both occur);
/// the JSON fixtures in UTC, with offsets, or as `/Date(ms)/`: every one reads to these values.
enum Expected {
    static func date(_ text: String) -> Date {
        guard let d = Timestamp.parse(text) else { fatalError("bad test date \(text)") }
        return d
    }

    static let alice = CloudUser(
        id: "6e0a2b1c-3f4d-4e5f-8a9b-0c1d2e3f4a5b",
        userPrincipalName: "alice@contoso.com",
        accountEnabled: true,
        lastPasswordChangeDateTime: date("2023-11-14T22:13:20Z"),
        onPremisesImmutableId: "hJ6iYkk0bUmUGO2a1zTWhA==",
        onPremisesSyncEnabled: true,
        onPremisesLastSyncDateTime: date("2023-11-14T22:40:05Z"),
        onPremisesSecurityIdentifier: "S-1-5-21-3623811015-3361044348-30300820-1103",
        onPremisesSamAccountName: "alice",
        onPremisesUserPrincipalName: "alice@corp.contoso.com",
        onPremisesDistinguishedName: "CN=Alice Martin,OU=Staff,DC=corp,DC=contoso,DC=com",
        onPremisesDomainName: "corp.contoso.com",
        passwordPolicies: "DisablePasswordExpiration")

    /// Disabled; a DN with an escaped comma; summer time (CEST) in the CSVs.
    static let bob = CloudUser(
        id: "2b7c9d0e-1f2a-4b3c-9d4e-5f6a7b8c9d0e",
        userPrincipalName: "bob@contoso.com",
        accountEnabled: false,
        lastPasswordChangeDateTime: date("2024-07-01T08:00:00Z"),
        onPremisesImmutableId: "Qk9CYm9iYm9iYm9iYm9iQg==",
        onPremisesSyncEnabled: true,
        onPremisesLastSyncDateTime: date("2024-07-01T08:30:00Z"),
        onPremisesSecurityIdentifier: "S-1-5-21-3623811015-3361044348-30300820-1104",
        onPremisesSamAccountName: "bob",
        onPremisesUserPrincipalName: "bob@corp.contoso.com",
        onPremisesDistinguishedName: "CN=Doe\\, Bob,OU=Staff,DC=corp,DC=contoso,DC=com",
        onPremisesDomainName: "corp.contoso.com")

    /// Cloud-only, never synced: 3/4/2024 in en-US is settled by the file's other dates.
    static let carol = CloudUser(
        id: "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
        userPrincipalName: "carol@contoso.onmicrosoft.com",
        accountEnabled: true,
        lastPasswordChangeDateTime: date("2024-03-04T05:06:07Z"))

    /// Formerly synced; non-ASCII in the DN; a password change the day summer time began.
    static let dave = CloudUser(
        id: "0d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a",
        userPrincipalName: "dave.muller@contoso.com",
        accountEnabled: true,
        lastPasswordChangeDateTime: date("2024-03-31T12:00:00Z"),
        onPremisesImmutableId: "RGF2ZURhdmVEYXZlRGF2ZQ==",
        onPremisesSyncEnabled: false,
        onPremisesLastSyncDateTime: date("2024-02-01T09:15:00Z"),
        onPremisesSecurityIdentifier: "S-1-5-21-3623811015-3361044348-30300820-1105",
        onPremisesSamAccountName: "dmuller",
        onPremisesUserPrincipalName: "dave.muller@corp.contoso.com",
        onPremisesDistinguishedName: "CN=Dävid Müller,OU=Former,DC=corp,DC=contoso,DC=com",
        onPremisesDomainName: "corp.contoso.com")

    static let users = [alice, bob, carol, dave]

    /// What Get-MsolUser can say about the same users: no SID, sAMAccountName, DN, domain or
    /// password policies; onPremisesSyncEnabled inferred from LastDirSyncTime, so Dave, who
    /// is no longer synced but has a LastDirSyncTime, reads as synced.
    static var msolUsers: [CloudUser] {
        users.map { u in
            CloudUser(id: u.id, userPrincipalName: u.userPrincipalName, accountEnabled: u.accountEnabled,
                      lastPasswordChangeDateTime: u.lastPasswordChangeDateTime,
                      onPremisesImmutableId: u.onPremisesImmutableId,
                      onPremisesSyncEnabled: u.onPremisesLastSyncDateTime != nil ? true : nil,
                      onPremisesLastSyncDateTime: u.onPremisesLastSyncDateTime)
        }
    }
}

enum Fixture {
    static let root: URL = {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("Fixtures missing from the test bundle")
        }
        return url
    }()

    static func path(_ name: String) -> String {
        root.appendingPathComponent(name).path
    }

    static func bytes(_ name: String) -> [UInt8] {
        Array(FileManager.default.contents(atPath: path(name)) ?? Data())
    }
}

/// A stream that hands out a few bytes per read and cannot rewind: standard input at its worst.
final class TrickleStream: ByteStream {
    private let bytes: [UInt8]
    private let step: Int
    private var offset = 0

    init(_ bytes: [UInt8], step: Int) {
        self.bytes = bytes
        self.step = step
    }

    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(IOFault) -> Int {
        let n = min(count, step, bytes.count - offset)
        if n > 0 {
            bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
            offset += n
        }
        return n
    }

    func rewind() -> Bool { false }
}

func readUsers(_ bytes: [UInt8], name: String = "test.json", options: CloudReadOptions = .init())
    throws -> ([CloudUser], CloudExportSummary) {
    var users: [CloudUser] = []
    let summary = try CloudExportReader.read(bytes: bytes, name: name, options: options) { users.append($0) }
    return (users, summary)
}

func readUsers(_ text: String, name: String = "test.json", options: CloudReadOptions = .init())
    throws -> ([CloudUser], CloudExportSummary) {
    try readUsers(Array(text.utf8), name: name, options: options)
}

/// The error reading `bytes` throws.
func readError(_ bytes: [UInt8], name: String = "test.json", options: CloudReadOptions = .init()) -> CloudExportError? {
    do {
        _ = try readUsers(bytes, name: name, options: options)
        return nil
    } catch let error as CloudExportError {
        return error
    } catch {
        return nil
    }
}

func readError(_ text: String, name: String = "test.json", options: CloudReadOptions = .init()) -> CloudExportError? {
    readError(Array(text.utf8), name: name, options: options)
}

let amsterdam = TimeZone(identifier: "Europe/Amsterdam")!
