/// Entra Connect's selective password hash sync: which users' passwords are synced, chosen by
/// `adminDescription` through sync rules on the Connect server. Neither AD nor Graph shows the
/// mode, so the admin names it (`--selective-phs`, docs/FINDINGS.md "PHS scope").
///
/// The two modes and their values are Microsoft's
/// (https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-selective-password-hash-synchronization):
/// the rules compare `adminDescription` with EQUAL/NOTEQUAL against `PHSFiltered` or
/// `PHSIncluded`. phs-check compares exactly, so that a value spelt otherwise gets its password
/// judged (a loud finding if it did not sync), never a quiet `phs-excluded`.
public enum SelectivePHS: String, Sendable, Hashable, CaseIterable {
    /// Users whose `adminDescription` is `PHSFiltered` are left out (the default: it is how
    /// phs-check has always read that value, and a tenant without selective PHS has none).
    case exclude
    /// Only users whose `adminDescription` is `PHSIncluded` are synced.
    case include
    /// Selective PHS is not set up: `adminDescription` means nothing to password sync.
    case off

    public static let filteredValue = "PHSFiltered"
    public static let includedValue = "PHSIncluded"

    /// Whether selective PHS leaves out a user with this `adminDescription`.
    public func excludes(adminDescription value: String?) -> Bool {
        switch self {
        case .exclude: value == Self.filteredValue
        case .include: value != Self.includedValue
        case .off: false
        }
    }
}
