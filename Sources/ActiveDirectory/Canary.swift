public import Foundation
public import LDAPClient
public import SyncAudit

/// The dedicated account `phs-check probe` changes the password of: found by name, checked to be
/// one that is safe to reset, given a new random password over an encrypted connection, and read
/// back (docs/PROBE.md).
public struct CanaryAccount: Sendable {
    /// The account as every other command decodes a user.
    public var user: DirectoryUser
    /// The groups it is a direct member of (`memberOf`; the primary group is not listed there).
    public var memberOf: [String]
    /// `adminCount` 1: AdminSDHolder protects it, it is or was privileged.
    public var adminCount: Int?
    public var displayName: String?

    /// The attributes read for the canary: a user's, and what makes it unsafe to reset.
    public static let attributes = DirectoryUser.Attribute.all + ["memberOf", "adminCount", "displayName"]

    public init(entry: LDAPEntry) {
        user = DirectoryUser(entry: entry)
        memberOf = entry.strings("memberOf")
        adminCount = entry.string("adminCount").flatMap { Int($0) }
        displayName = entry.string("displayName")
    }

    /// Why phs-check will not reset this account's password, or nil. A canary is a dedicated
    /// account with no groups and no privileges, enabled, in a normal account's state: a
    /// mistyped `--canary` must never reset a person's or a service's password.
    public var refusal: String? {
        let name = user.samAccountName
        if adminCount == 1 {
            return "\(name) has adminCount 1 (it is, or was, in a privileged group): phs-check resets the password of a dedicated canary account only"
        }
        if !memberOf.isEmpty {
            return "\(name) is a member of \(memberOf.count) group\(memberOf.count == 1 ? "" : "s") (\(memberOf.prefix(3).joined(separator: "; "))\(memberOf.count > 3 ? "; ..." : "")): a canary belongs to no group, so that a mistyped --canary cannot reset a real user's password"
        }
        if !user.isEnabled {
            return "\(name) is disabled: password hash sync leaves disabled users out, so nothing would arrive"
        }
        if !user.userAccountControl.contains(.normalAccount) {
            return "\(name) is not a normal user account (userAccountControl \(user.userAccountControl.names.joined(separator: ", ")))"
        }
        if user.userAccountControl.contains(.smartcardRequired) {
            return "\(name) requires a smart card for logon: its password is random and cannot sign in"
        }
        return nil
    }
}

/// What finding, resetting and reading back the canary can fail with, beyond LDAP's own errors.
public struct CanaryError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case notFound, ambiguous, unsafe, notEncrypted, resetRefused }
    public var kind: Kind
    public var message: String
    public var description: String { message }
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}

public enum Canary {
    /// The canary named `identity` under `base`: exactly one user object, or an error.
    public static func find(_ identity: UserIdentity, base: String, in directory: some DirectorySearching) throws -> CanaryAccount {
        let (searchBase, scope, filter) = query(identity, base: base)
        var found: [CanaryAccount] = []
        do {
            try directory.search(base: searchBase, scope: scope, filter: filter, attributes: CanaryAccount.attributes,
                                 pageSize: nil, onPage: { _ in }, onEntry: { found.append(CanaryAccount(entry: $0)) })
        } catch let error as LDAPError where error.code == .noSuchObject {
            found = []
        }
        guard let first = found.first else {
            throw CanaryError(.notFound, "no user \(identity.text) under \(base) on \(directory.url)")
        }
        guard found.count == 1 else {
            throw CanaryError(.ambiguous, "\(found.count) users match \(identity.text): \(found.prefix(5).map(\.user.distinguishedName).joined(separator: "; ")); name the canary by its DN")
        }
        return first
    }

    /// The search that finds one user by its name: the user conditions of every read, and the
    /// name's attribute with its value escaped (RFC 4515); a DN is read with a base search.
    static func query(_ identity: UserIdentity, base: String) -> (String, LDAPScope, String) {
        let user = "(objectCategory=person)(objectClass=user)"
        switch identity {
        case .distinguishedName(let dn):
            return (dn, .base, "(&\(user))")
        case .samAccountName(let name):
            return (base, .subtree, "(&\(user)(sAMAccountName=\(LDAPFilter.escape(name))))")
        case .userPrincipalName(let upn):
            return (base, .subtree, "(&\(user)(userPrincipalName=\(LDAPFilter.escape(upn))))")
        case .objectSid(let sid):
            return (base, .subtree, "(&\(user)(objectSid=\(LDAPFilter.escape(sid))))")
        case .objectGUID(let guid):
            let bytes = guid.bytes.map { String(format: "\\%02x", $0) }.joined()
            return (base, .subtree, "(&\(user)(objectGUID=\(bytes)))")
        }
    }

    /// The domain's minimum password length (`minPwdLength` of the domain object), or nil when
    /// it cannot be read. Fine-grained password policies are not readable by a delegated
    /// account; the generated password's 32 characters are beyond any of them.
    public static func minimumPasswordLength(domain namingContext: String, in directory: some DirectorySearching) -> Int? {
        var length: Int?
        try? directory.search(base: namingContext, scope: .base, filter: "(objectClass=*)", attributes: ["minPwdLength"],
                              pageSize: nil, onPage: { _ in }, onEntry: { length = $0.string("minPwdLength").flatMap { Int($0) } })
        return length
    }

    /// Sets `password` on the canary: a `unicodePwd` replace (a reset, as "Reset password"
    /// allows), only on a connection that encrypts it — TLS, or a sealed SASL session (AD and
    /// Samba refuse a password over a plain one anyway). Then reads the account back.
    public static func reset(_ canary: CanaryAccount, password: SecretBytes, on connection: LDAPConnection) throws -> CanaryAccount {
        guard connection.isTLS || connection.securityStrengthFactor >= 56 else {
            throw CanaryError(.notEncrypted, "the connection to \(connection.url) is not encrypted (no TLS, no sealed GSSAPI session): phs-check sends a password only encrypted. Use ldaps://, --starttls, or --sasl-mech GSSAPI")
        }
        let value = CanaryPassword.unicodePwd(password)
        do {
            try value.withUnsafeBytes { (bytes) throws(LDAPError) in
                try connection.replace(canary.user.distinguishedName, attribute: "unicodePwd", value: bytes)
            }
        } catch {
            let name = canary.user.samAccountName
            switch error.code {
            case .insufficientAccessRights:
                throw CanaryError(.resetRefused, "\(connection.url) refused to reset the password of \(name) (insufficient access rights): grant the probe's account \"Reset password\" on that object only (docs/PROBE.md)")
            case .constraintViolation, .unwillingToPerform:
                throw CanaryError(.resetRefused, "\(connection.url) refused the new password of \(name) (\(error.code)\(error.diagnosticMessage.map { ": \($0)" } ?? "")): a password policy phs-check cannot read applies to it (a fine-grained policy longer than 32 characters, or a minimum age for resets)")
            default:
                throw error
            }
        }
        guard let after = try connection.read(canary.user.distinguishedName, attributes: CanaryAccount.attributes) else {
            throw CanaryError(.notFound, "\(canary.user.distinguishedName) vanished right after its password was reset")
        }
        return CanaryAccount(entry: after)
    }
}

extension UserIdentity {
    /// The name as the admin wrote it, for messages.
    public var text: String {
        switch self {
        case .samAccountName(let name): name
        case .userPrincipalName(let upn): upn
        case .distinguishedName(let dn): dn
        case .objectGUID(let guid): guid.uuidString
        case .objectSid(let sid): sid
        }
    }
}
