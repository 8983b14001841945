import Foundation
import ActiveDirectory
import LDAPClient
import Reports

extension Failure {
    /// A directory error as the sentence an admin acts on, with the option that fixes it.
    /// Connection, TLS, bind and server-side failures exit 3; a search the directory rejects
    /// exits 2. When several `--ldap-url`s were tried and none answered, each gets its line.
    static func directory(_ error: LDAPError) -> Failure {
        guard error.attempts.count > 1 else { return single(error) }
        let lines = error.attempts.map { "  - " + single($0).message }
        return .directory("none of the \(error.attempts.count) --ldap-url answered:\n" + lines.joined(separator: "\n"))
    }

    /// Text from the server (a diagnostic, a certificate's names, libldap's description) goes
    /// through `terminalSafe` here, without its line breaks: it cannot start a line of its own
    /// that looks like one of phs-check's (standard error keeps the line breaks of phs-check's
    /// own messages).
    private static func single(_ error: LDAPError) -> Failure {
        let server = error.url ?? "the directory"
        let said = error.diagnosticMessage.map { text in
            let trimmed = terminalSafe(text.trimmingCharacters(in: .whitespacesAndNewlines.union(["\0"])))
            return " The server said: \(trimmed)" + (trimmed.last.map { ".!?".contains($0) } == true ? "" : ".")
        } ?? ""
        switch error.kind {
        case .serverUnreachable:
            return .directory("cannot reach \(server) (\(error.message)). Check the host name and port in --ldap-url, that the DC is running, and that a firewall lets you through.")
        case .tlsHandshakeFailed:
            return .directory(tls(error, server: server))
        case .timeout:
            return .directory("\(server) did not answer in time during \(error.operation). Raise --timeout or check the network.")
        case .connectionLost:
            let read = error.entriesRead.map { $0 == 0 ? " before any user was read" : " after \($0) users had been read" } ?? ""
            return .directory("the connection to \(server) was lost during \(error.operation)\(read): the DC closed or reset it.\(said) Check that the DC is still running and its logs, and idle or connection limits of firewalls and load balancers on the way; then run again.")
        case .messageTooLarge:
            return .directory("\(server): \(lowercasingFirst(error.message)): is this an LDAP server? Check the host and port in --ldap-url.")
        case .serverLimitExceeded:
            return .directory("\(server) stopped the search at its own \(limitName(error.code)) after \(error.entriesRead ?? 0) users (result \(error.code.rawValue)).\(said) \(limitAdvice(error.code))")
        case .pagedSearchStalled:
            return .directory("the paged search at \(server) does not advance: \(lowercasingFirst(error.message)). Following it would never end; this is a fault of the DC or of a proxy in front of it: try another DC in --ldap-url, or narrow --search-base.")
        case .bindRefused:
            let who = error.bindDN.map { " as \($0)" } ?? ""
            if error.operation.contains("SASL") {
                // Over TLS a DC may refuse GSSAPI with or without a SASL layer; the library's hint says which fix applies.
                return .directory("the GSSAPI bind to \(server) was refused: \(error.message) (result \(error.code.rawValue)).\(said) \(error.hint ?? "Get a Kerberos ticket with kinit and use the DC's DNS name in --ldap-url.")")
            }
            switch error.code {
            case .strongAuthRequired, .confidentialityRequired:
                return .directory("\(server) refused the bind\(who) because the connection is not encrypted (result \(error.code.rawValue), strong authentication required).\(said) Use an ldaps:// URL, add --starttls, or bind with --sasl-mech GSSAPI.")
            case .invalidCredentials:
                return .directory("\(server) refused the bind\(who): invalid credentials (result 49)\(ADBindReason.explain(error.diagnosticMessage)). Check --bind-dn and the password in --bind-password-file or PHS_CHECK_BIND_PASSWORD.")
            case .localError, .authUnknown:
                return .directory("the GSSAPI bind to \(server) failed (\(error.message)).\(said) Get a Kerberos ticket with kinit, install libsasl2-modules-gssapi-mit, and use the DC's DNS name in --ldap-url.")
            default:
                return .directory("\(server) refused the bind\(who): \(error.message) (result \(error.code.rawValue)).\(said)")
            }
        case .invalidArgument:
            if error.code == .filterError {
                return .usage("the LDAP filter is not valid (\(error.message)). Check --filter: it must be an RFC 4515 filter such as (department=Sales).")
            }
            return .usage(terminalSafe(error.description))
        case .operationFailed:
            if error.code == .noSuchObject {
                return .usage("the directory has no entry at the search base (\(error.message)).\(said) Check --base-dn and --search-base.")
            }
            if error.code == .referral {
                return .usage("the search base is not held by \(server) (a referral).\(said) Check --search-base, or point --ldap-url at a DC of that domain.")
            }
            return .directory(terminalSafe(error.description))
        }
    }

    /// A failed TLS handshake, by what the library found out about it.
    private static func tls(_ error: LDAPError, server: String) -> String {
        switch error.tlsProblem {
        case .untrustedCertificate(let issuer):
            let by = issuer.map { " (issued by \(terminalSafe($0)))" } ?? ""
            return "the TLS handshake with \(server) failed: the DC's certificate names it, but is not signed by a CA this machine trusts\(by). Pass the certificate of the CA that issued it (PEM) with --ca-file."
        case .nameMismatch(let host, let names):
            let names = names.map { terminalSafe($0) }
            let example = names.first { !$0.hasPrefix("*") }.map { " (e.g. --ldap-url \(replacingHost(host, with: $0, in: server)))" } ?? ""
            let list = names.isEmpty ? "no host name" : names.joined(separator: ", ")
            return "the TLS handshake with \(server) failed: the DC's certificate is for \(list), not for \(host). Connect by one of those names in --ldap-url\(example), and make sure it resolves to the DC."
        case .certificateNotValidNow(let notBefore, let notAfter):
            return "the TLS handshake with \(server) failed: the DC's certificate is valid from \(notBefore) to \(notAfter), not now. Renew the DC's certificate (or correct this machine's clock)."
        case .notTLS:
            return "\(server) does not speak TLS on that port (even a handshake that checks nothing fails): it speaks plain LDAP or something else. Use ldap:// with --starttls for that port, or the LDAPS port (ldaps://HOST:636)."
        case nil:
            return "\(server) accepts connections but the TLS handshake failed: the DC's certificate is not trusted, or was issued for another name. Pass the issuing CA with --ca-file and connect by the DC's DNS name as the certificate names it, not by IP address."
        }
    }

    private static func limitName(_ code: LDAPResultCode) -> String {
        switch code {
        case .timeLimitExceeded: "time limit"
        case .sizeLimitExceeded: "size limit"
        default: "administrative limit"
        }
    }

    private static func limitAdvice(_ code: LDAPResultCode) -> String {
        switch code {
        case .timeLimitExceeded:
            "Each page may take at most the smaller of --timeout (sent with every page) and the DC's own limit (AD: MaxQueryDuration in the LDAP policy; slapd: timelimit): raise them, or lower --page-size."
        case .sizeLimitExceeded:
            "The DC caps how many entries one search returns even when paged (AD: MaxResultSetSize and MaxPageSize in the LDAP policy; slapd: sizelimit size.prtotal and size.pr): raise the limit for the bind account, lower --page-size, or read smaller parts with --search-base."
        default:
            "Raise the DC's limit for the bind account (AD: MaxResultSetSize or MaxTempTableSize in the LDAP policy; slapd: sizelimit size.unchecked, or an index for the filter), lower --page-size, or read smaller parts with --search-base."
        }
    }

    private static func lowercasingFirst(_ text: String) -> String {
        text.prefix(1).lowercased() + text.dropFirst()
    }

    /// `url` with its host replaced (`ldaps://10.0.0.5:636` → `ldaps://dc1.example.com:636`).
    private static func replacingHost(_ host: String, with name: String, in url: String) -> String {
        guard let scheme = url.range(of: "://"), let range = url.range(of: host, range: scheme.upperBound..<url.endIndex) else {
            return url
        }
        return url.replacingCharacters(in: range, with: name)
    }
}
