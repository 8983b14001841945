// Fuzzes the snapshot reader (`compare`'s input): `SnapshotReader`, `Snapshot.decodeHeader`,
// `Snapshot.decodeUser`, and the way back with `Snapshot.encode`.
//
// Input: a selector byte (bits 0–5: the chunk size, 1–64 bytes), then the snapshot. The
// snapshot is read whole and in chunks; both must hand over the same users and end the same
// way. Every user handed over must survive `encode` → `decodeUser`, and each section's header
// `encode` → `decodeHeader`; each user names its section's domain.
// Tests/SyncAuditTests/FuzzRegressionTests.swift replays Fuzz/Regressions/FuzzSnapshot the same way.
import Foundation
import FuzzSupport
import SyncAudit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let (selector, text) = selector(bytes(data, size))
    let whole = read(text, chunk: max(text.count, 1))
    let chunked = read(text, chunk: Int(selector & 63) + 1)
    invariant(whole.users == chunked.users, "\(chunked.users.count) users in chunks, \(whole.users.count) whole")
    invariant(whole.end == chunked.end, "read in chunks: \(chunked.end); whole: \(whole.end)")

    if case .sections(let sections) = whole.end {
        for section in sections {
            let line = try! Snapshot.encode(section.header)
            let back = try? Snapshot.decodeHeader(line)
            invariant(back == section.header, "the header does not survive encode → decodeHeader: \(String(decoding: line, as: UTF8.self))")
        }
        invariant(sections.reduce(0) { $0 + $1.users } == whole.users.count, "the sections count other than the users handed over")
        let names = Set(sections.map(\.header.domainName))
        invariant(whole.users.allSatisfy { $0.domain.map(names.contains) == true }, "a user without its section's domain")
    }
    for user in whole.users { roundTrip(user) }
    return 0
}

/// How a read ended: the sections, or the error as text (a `ReadError` is not `Equatable`).
enum End: Equatable, CustomStringConvertible {
    case sections([Snapshot.Section])
    case failed(String)

    var description: String {
        switch self {
        case .sections(let s): "sections \(s)"
        case .failed(let text): text
        }
    }
}

func read(_ text: [UInt8], chunk: Int) -> (users: [DirectoryUser], end: End) {
    var users: [DirectoryUser] = []
    var offset = 0
    do {
        let sections = try SnapshotReader.read(chunks: {
            guard offset < text.count else { return nil }
            let n = min(chunk, text.count - offset)
            defer { offset += n }
            return Data(text[offset..<(offset + n)])
        }, onUser: { users.append($0) })
        return (users, .sections(sections))
    } catch {
        switch error {
        case .line(let e):
            invariant(e.line >= 1 && !e.reason.isEmpty, "a line error without its place or reason: \(e)")
            return (users, .failed("line \(e.line): \(e.reason)"))
        case .source(let e):
            fatalError("neither the chunks nor onUser throw, yet: \(e)")
        default:
            return (users, .failed("\(error)"))
        }
    }
}

/// `decodeUser(encode(user))` is the user again: text, identifiers and flags exactly, times to
/// the millisecond the snapshot writes; and encoding that is a fixed point.
func roundTrip(_ user: DirectoryUser) {
    let line = Snapshot.encode(user)
    let shown = String(decoding: line, as: UTF8.self)
    let back: DirectoryUser
    do {
        back = try Snapshot.decodeUser(line, line: 2)
    } catch {
        fatalError("a user handed over does not survive encode → decodeUser: \(error)\n  \(shown)")
    }
    invariant(Snapshot.encode(back) == line, "encode → decode → encode differs:\n  \(shown)\n  \(String(decoding: Snapshot.encode(back), as: UTF8.self))")
    invariant(back.distinguishedName == user.distinguishedName && back.samAccountName == user.samAccountName
              && back.userPrincipalName == user.userPrincipalName && back.objectGUID == user.objectGUID
              && back.consistencyGuid == user.consistencyGuid && back.objectSid == user.objectSid
              && back.userAccountControl == user.userAccountControl && back.lockedOut == user.lockedOut
              && back.passwordExpired == user.passwordExpired && back.uSNChanged == user.uSNChanged
              && back.adminDescription == user.adminDescription && back.notes == user.notes
              && back.pwdLastSet.raw == user.pwdLastSet.raw,
              "a field changed through encode → decodeUser:\n  \(shown)")
    func close(_ a: Date?, _ b: Date?) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case let (a?, b?): abs(a.timeIntervalSince(b)) <= 0.0005 + 1e-9 * abs(a.timeIntervalSince1970)
        default: false
        }
    }
    invariant(close(back.pwdLastSet.date, user.pwdLastSet.date) && close(back.accountExpires, user.accountExpires)
              && close(back.whenChanged, user.whenChanged) && close(back.unicodePwdLastChanged, user.unicodePwdLastChanged),
              "a time moved more than the millisecond through encode → decodeUser:\n  \(shown)")
}

@_cdecl("FuzzSnapshot_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzerMain(argc, argv, fuzz)
}
