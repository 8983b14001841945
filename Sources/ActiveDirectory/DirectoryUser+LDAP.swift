public import Foundation
public import LDAPClient
public import SyncAudit

extension DirectoryUser {
    /// The attributes phs-check requests for each user (`UserQuery.attributes`).
    public enum Attribute {
        public static let distinguishedName = "distinguishedName"
        public static let samAccountName = "sAMAccountName"
        public static let userPrincipalName = "userPrincipalName"
        public static let objectGUID = "objectGUID"
        public static let consistencyGuid = "mS-DS-ConsistencyGuid"
        public static let objectSid = "objectSid"
        public static let pwdLastSet = "pwdLastSet"
        public static let userAccountControl = "userAccountControl"
        public static let accountExpires = "accountExpires"
        /// Constructed: request it by name, never use it in a filter.
        public static let accountControlComputed = "msDS-User-Account-Control-Computed"
        public static let whenChanged = "whenChanged"
        public static let uSNChanged = "uSNChanged"
        public static let adminDescription = "adminDescription"
        public static let replPropertyMetaData = "replPropertyMetaData"
        /// Every class of the object, from `top` down to its structural class.
        public static let objectClass = "objectClass"

        public static let all = [
            distinguishedName, samAccountName, userPrincipalName, objectGUID, consistencyGuid,
            objectSid, pwdLastSet, userAccountControl, accountExpires, accountControlComputed,
            whenChanged, uSNChanged, adminDescription, replPropertyMetaData, objectClass,
        ]
    }

    /// Decodes one user search entry. Never fails: an attribute that is missing where AD
    /// always has one, or that cannot be decoded, leaves its field at the default and adds a
    /// sentence to `notes` (`objectSid: 7 bytes, expected at least 8 — ignored`).
    public init(entry: LDAPEntry) {
        self.init(dn: entry.dn, values: entry.values)
    }

    /// The same from the DN and the attribute values (names matched case-insensitively).
    public init(dn: String, attributes: [String: [Data]]) {
        self.init(entry: LDAPEntry(dn: dn, attributes: attributes))
    }

    init(dn entryDN: String, values: (String) -> [Data]) {
        var notes: [String] = []
        typealias A = Attribute

        /// The single value of a single-valued attribute; notes extra values.
        func single(_ name: String) -> Data? {
            let all = values(name)
            if all.count > 1 { notes.append("\(name): \(all.count) values for a single-valued attribute — used the first") }
            return all.first
        }
        /// The decoded single value; nil when missing (noted when `missing` says why) or
        /// malformed (noted with the error and `malformed`: what was done instead).
        func decode<T>(_ name: String, ifMissing missing: String? = nil, ifMalformed malformed: String = "ignored",
                       _ body: (Data) throws(AttributeDecodeError) -> T) -> T? {
            guard let value = single(name) else {
                if let missing { notes.append("\(name): \(missing)") }
                return nil
            }
            do {
                return try body(value)
            } catch {
                notes.append("\(error) — \(malformed)")
                return nil
            }
        }
        func text<T>(_ name: String, ifMissing missing: String? = nil, ifMalformed malformed: String = "ignored",
                  _ body: (String) throws(AttributeDecodeError) -> T) -> T? {
            decode(name, ifMissing: missing, ifMalformed: malformed) { data throws(AttributeDecodeError) in
                try body(ADDecoder.text(data, attribute: name))
            }
        }

        // The DN of the entry is authoritative; distinguishedName is requested only so that
        // servers that list it are consistent with the entry.
        var dn = entryDN
        if dn.isEmpty, let value = single(A.distinguishedName), let text = String(bytes: value, encoding: .utf8) {
            dn = text
        }

        var sam = text(A.samAccountName) { $0 } ?? ""
        if sam.isEmpty {
            let rdn = DistinguishedName(dn)?.firstValue ?? ""
            sam = rdn
            notes.append("sAMAccountName: not returned — used the RDN value \(AttributeDecodeError.quote(rdn))")
        }

        let upn = text(A.userPrincipalName) { $0 }

        let guid = decode(A.objectGUID, ifMissing: "not returned — cannot match by immutableId of objectGUID") { data throws(AttributeDecodeError) in
            try ADDecoder.objectGUID(data)
        }

        var consistency: Data?
        if let value = single(A.consistencyGuid) {
            do {
                consistency = try ADDecoder.consistencyGuid(value)
            } catch {
                // Entra Connect anchors on the bytes as they are, so keep them.
                consistency = value.isEmpty ? nil : value
                notes.append("\(error) — \(value.isEmpty ? "ignored" : "kept as is")")
            }
        }

        let sid = decode(A.objectSid, ifMissing: "not returned — cannot match by sid") { data throws(AttributeDecodeError) in
            try ADDecoder.objectSid(data)
        }

        let pwd = text(A.pwdLastSet,
                       ifMissing: "not returned — read as never set (the bind account may not be allowed to read it, or this is a Global Catalog port)",
                       ifMalformed: "read as never set") { t throws(AttributeDecodeError) in try ADDecoder.pwdLastSet(t) }
            ?? .absent
        let uac = text(A.userAccountControl,
                       ifMissing: "not returned — read as an enabled normal account",
                       ifMalformed: "read as an enabled normal account") { t throws(AttributeDecodeError) in try ADDecoder.userAccountControl(t) }
            ?? .normalAccount

        let expires = text(A.accountExpires) { t throws(AttributeDecodeError) in try ADDecoder.accountExpires(t) } ?? nil
        let computed = text(A.accountControlComputed) { t throws(AttributeDecodeError) in try ADDecoder.accountControlComputed(t) }
        let changed = text(A.whenChanged) { t throws(AttributeDecodeError) in try ADDecoder.generalizedTime(t, attribute: A.whenChanged) }
        let usn = text(A.uSNChanged) { t throws(AttributeDecodeError) in try ADDecoder.integer(t, attribute: A.uSNChanged) }
        let adminDescription = text(A.adminDescription) { $0 }
        // AD lists the classes from top down to the structural class, the most specific, last;
        // inetOrgPerson, a subclass of user, is named wherever it falls.
        // One string per user, not one per class: a million users each list four or five.
        let classes = values(A.objectClass)
        let structuralClass = classes.contains(where: Self.namesInetOrgPerson) ? "inetOrgPerson" : classes.last.map { String(decoding: $0, as: UTF8.self) }
        let meta = decode(A.replPropertyMetaData) { data throws(AttributeDecodeError) in
            try ADDecoder.replPropertyMetaData(data)
        }

        self.init(
            distinguishedName: dn,
            samAccountName: sam,
            userPrincipalName: upn,
            objectGUID: guid,
            consistencyGuid: consistency,
            objectSid: sid,
            pwdLastSet: pwd,
            userAccountControl: uac,
            accountExpires: expires,
            lockedOut: computed?.lockedOut,
            passwordExpired: computed?.passwordExpired,
            whenChanged: changed,
            uSNChanged: usn,
            adminDescription: adminDescription,
            structuralClass: structuralClass,
            unicodePwdLastChanged: meta?.unicodePwdLastChanged,
            notes: notes
        )
    }

    private static let inetOrgPerson = Array("inetorgperson".utf8)

    /// An `objectClass` value that names `inetOrgPerson`, in any letter case.
    private static func namesInetOrgPerson(_ value: Data) -> Bool {
        value.count == inetOrgPerson.count && zip(value, inetOrgPerson).allSatisfy { $0 | 0x20 == $1 }
    }
}
