/// The `userAccountControl` bits ([MS-ADTS] 2.2.16), with the names AD tools print.
public struct UserAccountControl: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let script = Self(rawValue: 0x1)
    public static let accountDisable = Self(rawValue: 0x2)
    public static let homedirRequired = Self(rawValue: 0x8)
    public static let lockout = Self(rawValue: 0x10)
    public static let passwordNotRequired = Self(rawValue: 0x20)
    public static let passwordCantChange = Self(rawValue: 0x40)
    public static let encryptedTextPasswordAllowed = Self(rawValue: 0x80)
    public static let tempDuplicateAccount = Self(rawValue: 0x100)
    public static let normalAccount = Self(rawValue: 0x200)
    public static let interdomainTrustAccount = Self(rawValue: 0x800)
    public static let workstationTrustAccount = Self(rawValue: 0x1000)
    public static let serverTrustAccount = Self(rawValue: 0x2000)
    public static let dontExpirePassword = Self(rawValue: 0x10000)
    public static let mnsLogonAccount = Self(rawValue: 0x20000)
    public static let smartcardRequired = Self(rawValue: 0x40000)
    public static let trustedForDelegation = Self(rawValue: 0x80000)
    public static let notDelegated = Self(rawValue: 0x100000)
    public static let useDESKeyOnly = Self(rawValue: 0x200000)
    public static let dontRequirePreauth = Self(rawValue: 0x400000)
    public static let passwordExpired = Self(rawValue: 0x800000)
    public static let trustedToAuthForDelegation = Self(rawValue: 0x1000000)
    public static let partialSecretsAccount = Self(rawValue: 0x4000000)

    /// Every named flag, in bit order, with its conventional name.
    public static let named: [(flag: Self, name: String)] = [
        (.script, "SCRIPT"),
        (.accountDisable, "ACCOUNTDISABLE"),
        (.homedirRequired, "HOMEDIR_REQUIRED"),
        (.lockout, "LOCKOUT"),
        (.passwordNotRequired, "PASSWD_NOTREQD"),
        (.passwordCantChange, "PASSWD_CANT_CHANGE"),
        (.encryptedTextPasswordAllowed, "ENCRYPTED_TEXT_PWD_ALLOWED"),
        (.tempDuplicateAccount, "TEMP_DUPLICATE_ACCOUNT"),
        (.normalAccount, "NORMAL_ACCOUNT"),
        (.interdomainTrustAccount, "INTERDOMAIN_TRUST_ACCOUNT"),
        (.workstationTrustAccount, "WORKSTATION_TRUST_ACCOUNT"),
        (.serverTrustAccount, "SERVER_TRUST_ACCOUNT"),
        (.dontExpirePassword, "DONT_EXPIRE_PASSWORD"),
        (.mnsLogonAccount, "MNS_LOGON_ACCOUNT"),
        (.smartcardRequired, "SMARTCARD_REQUIRED"),
        (.trustedForDelegation, "TRUSTED_FOR_DELEGATION"),
        (.notDelegated, "NOT_DELEGATED"),
        (.useDESKeyOnly, "USE_DES_KEY_ONLY"),
        (.dontRequirePreauth, "DONT_REQ_PREAUTH"),
        (.passwordExpired, "PASSWORD_EXPIRED"),
        (.trustedToAuthForDelegation, "TRUSTED_TO_AUTH_FOR_DELEGATION"),
        (.partialSecretsAccount, "PARTIAL_SECRETS_ACCOUNT"),
    ]

    /// The names of the flags that are set; unknown bits as `0x...`.
    public var names: [String] {
        var rest = rawValue
        var result: [String] = []
        for (flag, name) in Self.named where contains(flag) {
            result.append(name)
            rest &= ~flag.rawValue
        }
        var bit: UInt32 = 1
        while rest != 0 {
            if rest & bit != 0 {
                result.append("0x" + String(bit, radix: 16, uppercase: true))
                rest &= ~bit
            }
            bit <<= 1
        }
        return result
    }
}
