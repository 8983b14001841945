import ArgumentParser
import Foundation
import LDAPClient
import Logging
import SyncAudit

/// How to reach and bind to the domain controller, and what to read there.
struct DirectoryOptions: ParsableArguments {
    @Option(name: .customLong("ldap-url"), help: ArgumentHelp(
        "A DC to read from: ldaps://dc1.example.com or ldap://dc1.example.com. Repeat to try several in order.",
        valueName: "url"))
    var ldapURLs: [String] = []

    @Flag(name: .customLong("starttls"), help: "Upgrade ldap:// connections with StartTLS before binding.")
    var startTLS = false

    @Option(name: .customLong("bind-dn"), help: ArgumentHelp(
        "Simple bind as this DN or user@domain (the password comes from --bind-password-file or PHS_CHECK_BIND_PASSWORD).",
        valueName: "dn"))
    var bindDN: String?

    @Option(name: .customLong("bind-password-file"), help: ArgumentHelp(
        "A file holding the bind password (one line). Never pass a password on the command line.",
        valueName: "file"), completion: .file())
    var bindPasswordFile: String?

    @Option(name: .customLong("sasl-mech"), help: ArgumentHelp(
        "Bind with SASL instead: GSSAPI uses your Kerberos ticket (kinit), signed and sealed.",
        valueName: "GSSAPI"), completion: .list(["GSSAPI"]))
    var saslMech: String?

    @Option(name: .customLong("ca-file"), help: ArgumentHelp(
        "PEM file of the CA that issued the DC's certificate.", valueName: "file"), completion: .file())
    var caFile: String?

    @Flag(name: .customLong("insecure-skip-tls-verify"), help: "Do not verify the DC's certificate (testing only; prints a warning).")
    var insecureSkipTLSVerify = false

    @Flag(name: .customLong("allow-cleartext-bind"), help: "Allow a simple bind on ldap:// without --starttls: the password crosses the network in clear text (testing only; prints a warning).")
    var allowCleartextBind = false

    @Option(name: .customLong("base-dn"), help: ArgumentHelp(
        "The domain's naming context (default: the RootDSE's defaultNamingContext).", valueName: "dn"))
    var baseDN: String?

    @Option(name: .customLong("search-base"), help: ArgumentHelp(
        "Read users under this DN only (the sync scope). Repeatable. Default: the base DN.", valueName: "dn"))
    var searchBases: [String] = []

    @Option(name: .customLong("filter"), help: ArgumentHelp(
        "An extra LDAP filter ANDed with (&(objectCategory=person)(objectClass=user)).", valueName: "ldap-filter"))
    var filter: String?

    @Option(name: .customLong("page-size"), help: ArgumentHelp("Entries per page of the paged search, 1 to 1000.", valueName: "n"))
    var pageSize = 500

    @Option(name: .customLong("timeout"), help: ArgumentHelp(
        "Network and operation timeout, e.g. 30s, 2m.", valueName: "duration"))
    var timeout: String = "30s"

    /// `--timeout` in seconds (it bounds the Graph requests of `--cloud graph` too).
    var timeoutSeconds: TimeInterval { Duration.parse(timeout)?.seconds ?? 30 }

    func validate() throws {
        for url in ldapURLs where !(url.lowercased().hasPrefix("ldap://") || url.lowercased().hasPrefix("ldaps://")) {
            throw ValidationError("--ldap-url \(url): use ldaps://HOST or ldap://HOST (with --starttls or --sasl-mech GSSAPI)")
        }
        if let saslMech, saslMech.uppercased() != "GSSAPI" {
            throw ValidationError("--sasl-mech \(saslMech): only GSSAPI is supported")
        }
        if saslMech != nil, bindDN != nil {
            throw ValidationError("--sasl-mech and --bind-dn are two ways to bind: choose one")
        }
        guard (1...1000).contains(pageSize) else {
            throw ValidationError("--page-size \(pageSize): choose 1 to 1000 (AD's MaxPageSize is 1000)")
        }
        // 0 would mean "no limit": a DC that accepts the connection and never answers would hang the run.
        guard let limit = Duration.parse(timeout), limit > .zero else {
            throw ValidationError(Duration.problem("--timeout", timeout, positive: true, examples: "30s, 5m or 1h"))
        }
        if caFile != nil, insecureSkipTLSVerify {
            throw ValidationError("--ca-file and --insecure-skip-tls-verify contradict each other: drop one")
        }
    }

    /// The connection settings, with the password read from its file or the environment.
    /// A simple bind that would send the password in clear text is refused unless
    /// `--allow-cleartext-bind` says otherwise (then it warns).
    func configuration(warnings: Warnings, environment: [String: String] = ProcessInfo.processInfo.environment) throws(Failure) -> LDAPConfiguration {
        guard !ldapURLs.isEmpty else {
            throw .usage("name the domain controller with --ldap-url ldaps://dc1.example.com")
        }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw .usage("--ca-file \(caFile): no such readable file; pass the PEM of the CA that issued the DC's certificate")
        }
        let bind: LDAPBind
        if saslMech != nil {
            bind = .gssapi
        } else if let bindDN {
            let cleartext = ldapURLs.filter { $0.lowercased().hasPrefix("ldap://") && !startTLS }
            if !cleartext.isEmpty {
                guard allowCleartextBind else {
                    throw .usage("""
                        --bind-dn on \(cleartext.joined(separator: ", ")) without --starttls would send the password in clear \
                        text: use ldaps://, add --starttls, or bind with --sasl-mech GSSAPI (signed and sealed). \
                        For a test directory only: --allow-cleartext-bind
                        """)
                }
                warnings.add(.cleartextBind, "--allow-cleartext-bind: the bind password for \(bindDN) crosses the network in clear text to \(cleartext.joined(separator: ", ")); anyone on the path can read it. Use ldaps:// or --starttls.")
            }
            bind = .simple(dn: bindDN, password: LDAPSecret(try password(for: bindDN, warnings: warnings, environment: environment)))
        } else {
            throw .usage("""
                say how to bind: --bind-dn USER@DOMAIN with --bind-password-file FILE (or PHS_CHECK_BIND_PASSWORD), \
                or --sasl-mech GSSAPI after kinit
                """)
        }
        let limit = Duration.parse(timeout) ?? .seconds(30)
        return LDAPConfiguration(
            urls: ldapURLs, startTLS: startTLS, caFile: caFile, skipTLSVerify: insecureSkipTLSVerify,
            networkTimeout: limit, operationTimeout: limit, bind: bind)
    }

    /// The password from `--bind-password-file` (one line: a final LF or CRLF is not part of
    /// it, a second line is refused) or `PHS_CHECK_BIND_PASSWORD`. A file other users can read
    /// gets a warning.
    private func password(for dn: String, warnings: Warnings, environment: [String: String]) throws(Failure) -> String {
        if let file = bindPasswordFile {
            return try SecretFile.read(file, option: "--bind-password-file", what: "the password for \(dn)",
                                       why: " (a bind with the wrong text counts as a failed logon, towards lockout)", warnings: warnings)
        }
        if let text = environment["PHS_CHECK_BIND_PASSWORD"], !text.isEmpty {
            return text
        }
        throw .usage("--bind-dn \(dn) needs a password: --bind-password-file FILE or the environment variable PHS_CHECK_BIND_PASSWORD")
    }
}

extension Duration {
    /// Reads a duration with its units: `90s`, `30m`, `2h`, `1d`, or several, largest first
    /// (`1h30m`, `1d 12h`). A number alone is refused: `--grace 3` must not silently mean three
    /// seconds.
    static func parse(_ text: String) -> Duration? {
        let units: [Character: Int64] = ["d": 86_400, "h": 3600, "m": 60, "s": 1]
        var total: Int64 = 0
        var number: Int64?
        var lastScale = Int64.max
        for ch in text.lowercased() where ch != " " {
            if ch.isASCII, let digit = ch.wholeNumberValue {
                let (times, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (next, o2) = times.addingReportingOverflow(Int64(digit))
                guard !o1, !o2, next <= 100 * 365 * 86_400 else { return nil }
                number = next
            } else if let scale = units[ch], let n = number, scale < lastScale {
                total += n * scale
                guard total <= 100 * 365 * 86_400 else { return nil }
                number = nil
                lastScale = scale
            } else {
                return nil
            }
        }
        guard number == nil, lastScale != .max else { return nil }
        return .seconds(total)
    }

    /// Why `value` of `option` is not a duration, with examples; a number alone is asked for
    /// its unit.
    static func problem(_ option: String, _ value: String, positive: Bool = false,
                        examples: String = "90s, 30m, 2h, 1d or 1h30m") -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        let unit = Int64(trimmed).map { n in " (a number alone has no unit: \(n)s, \(n)m, \(n)h or \(n)d?)" } ?? ""
        return "\(option) \(value): write \(positive ? "a positive duration" : "a duration") such as \(examples)\(unit)"
    }
}
