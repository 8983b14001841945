import Foundation
import Testing

/// Changes the real test DC as an admin would, with OpenLDAP's `ldapmodify` over LDAPS as
/// Administrator: users created, passwords reset, accounts disabled — real AD behaviour that
/// moves `pwdLastSet`, `unicodePwd`'s replication metadata and `userAccountControl`.
struct DirectoryAdmin {
    let dc: TestDirectory

    /// Applies LDIF change records (`changetype: add|modify|delete`).
    func apply(_ ldif: String) throws {
        let password = FileManager.default.temporaryDirectory.appendingPathComponent("admin-\(UUID().uuidString)").path
        try dc.password.write(toFile: password, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: password) }
        let result = try CommandRunner.run("/usr/bin/ldapmodify", ["-x", "-H", dc.url, "-D", dc.bindDN, "-y", password],
                                           environment: ["LDAPTLS_CACERT": dc.caFile], stdin: Data(ldif.utf8))
        try #require(result.status == 0, "ldapmodify failed: \(result.stderr)\n\(ldif)")
    }

    /// The LDIF value of `unicodePwd`: the quoted password in UTF-16LE, base64.
    static func unicodePwd(_ password: String) -> String {
        var bytes: [UInt8] = []
        for unit in "\"\(password)\"".utf16 { bytes += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        return Data(bytes).base64EncodedString()
    }

    func createOU(_ dn: String) throws {
        try apply("dn: \(dn)\nchangetype: add\nobjectClass: organizationalUnit\n")
    }

    /// Creates an enabled user with a password (and any extra attribute lines), of class `user`
    /// or another that derives from it (`inetOrgPerson`).
    func createUser(_ name: String, in ou: String, upn: String? = nil, objectClass: String = "user", extra: [String] = []) throws {
        let password = "Pa55-\(UUID().uuidString.prefix(8))!"
        var lines = ["dn: CN=\(name),\(ou)", "changetype: add", "objectClass: \(objectClass)", "sAMAccountName: \(name)",
                     "userPrincipalName: \(upn ?? "\(name)@\(dc.realm.lowercased())")", "userAccountControl: 512",
                     "unicodePwd:: \(Self.unicodePwd(password))"]
        lines += extra
        try apply(lines.joined(separator: "\n") + "\n")
    }

    /// An admin password reset: a new password, so `pwdLastSet` and `unicodePwd` both move.
    func resetPassword(_ name: String, in ou: String) throws {
        try apply("dn: CN=\(name),\(ou)\nchangetype: modify\nreplace: unicodePwd\nunicodePwd:: \(Self.unicodePwd("Re5et-\(UUID().uuidString.prefix(8))!"))\n")
    }

    func replace(_ name: String, in ou: String, _ attribute: String, _ value: String) throws {
        try apply("dn: CN=\(name),\(ou)\nchangetype: modify\nreplace: \(attribute)\n\(attribute): \(value)\n")
    }

    /// A new OU for one suite's users (`OU=PREFIX-xxxxxxxx` under the base DN, after removing
    /// what earlier runs left) and a new temporary folder for its files.
    func freshScenario(prefix: String) throws -> (ou: String, folder: URL) {
        try removeLeftovers(under: dc.baseDN, prefix: prefix + "-")
        let ou = "OU=\(prefix)-\(UUID().uuidString.prefix(8)),\(dc.baseDN)"
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix.lowercased())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try createOU(ou)
        return (ou, folder)
    }

    /// Removes what earlier runs of a test left under `base` (OUs whose name starts with `prefix`):
    /// sAMAccountName and UPN are unique domain-wide, so a rerun would collide with them.
    func removeLeftovers(under base: String, prefix: String) throws {
        let password = FileManager.default.temporaryDirectory.appendingPathComponent("admin-\(UUID().uuidString)").path
        try dc.password.write(toFile: password, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: password) }
        let found = try CommandRunner.run("/usr/bin/ldapsearch", ["-LLL", "-o", "ldif-wrap=no", "-x", "-H", dc.url, "-D", dc.bindDN, "-y", password,
                                                                   "-b", base, "-s", "one", "(ou=\(prefix)*)", "1.1"],
                                          environment: ["LDAPTLS_CACERT": dc.caFile])
        try #require(found.status == 0, "ldapsearch failed: \(found.stderr)")
        for line in found.lines where line.hasPrefix("dn: ") { deleteTree(String(line.dropFirst(4))) }
    }

    /// Deletes an OU and everything under it (best effort; for cleanup).
    func deleteTree(_ dn: String) {
        let password = FileManager.default.temporaryDirectory.appendingPathComponent("admin-\(UUID().uuidString)").path
        try? dc.password.write(toFile: password, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: password) }
        _ = try? CommandRunner.run("/usr/bin/ldapdelete", ["-x", "-r", "-H", dc.url, "-D", dc.bindDN, "-y", password, dn],
                                   environment: ["LDAPTLS_CACERT": dc.caFile])
    }
}
