/// Commands for the Entra Connect server (a Tier 0 machine), built so that pasting one can only
/// ever run the command itself, whatever the directory holds.
public enum PowerShell {
    /// `text` as a PowerShell verbatim (single-quoted) string: nothing inside it is expanded
    /// (`$(...)`, `$var`, backticks stay text). The only character with a meaning inside is the
    /// single quote, which is doubled; PowerShell also takes the typographic quotes
    /// U+2018–U+201B as single quotes, so those are doubled too.
    public static func quote(_ text: String) -> String {
        var out = "'"
        for scalar in text.unicodeScalars {
            out.unicodeScalars.append(scalar)
            if Self.singleQuotes.contains(scalar) { out.unicodeScalars.append(scalar) }
        }
        return out + "'"
    }

    static let singleQuotes: Set<Unicode.Scalar> = ["'", "\u{2018}", "\u{2019}", "\u{201A}", "\u{201B}"]

    /// The official single-user troubleshooter:
    /// `Invoke-ADSyncDiagnostics -PasswordSync -ADConnectorName '…' -DistinguishedName '…'`.
    public static func passwordSyncDiagnostics(connector: String, distinguishedName: String) -> String {
        "Invoke-ADSyncDiagnostics -PasswordSync -ADConnectorName \(quote(connector)) -DistinguishedName \(quote(distinguishedName))"
    }
}
