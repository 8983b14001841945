import Foundation
import ActiveDirectory
import LDAPClient

extension Failure {
    /// A directory error as the sentence an admin acts on, with the option that fixes it.
    /// Connection, TLS and bind failures exit 3; a search the directory rejects exits 2.
    static func directory(_ error: LDAPError) -> Failure {
        let server = error.url ?? "the directory"
        let said = error.diagnosticMessage.map { " The server said: \($0.trimmingCharacters(in: .whitespacesAndNewlines))" } ?? ""
        switch error.kind {
        case .serverUnreachable:
            return .directory("cannot reach \(server) (\(error.message)). Check the host name and port in --ldap-url, that the DC is running, and that a firewall lets you through.")
        case .tlsHandshakeFailed:
            return .directory("\(server) accepts connections but the TLS handshake failed: the DC's certificate is not trusted, or was issued for another name. Pass the issuing CA with --ca-file and connect by the DC's DNS name as the certificate names it, not by IP address.")
        case .timeout:
            return .directory("\(server) did not answer in time during \(error.operation). Raise --timeout or check the network.")
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
            return .usage(error.description)
        case .operationFailed:
            if error.code == .noSuchObject {
                return .usage("the directory has no entry at the search base (\(error.message)).\(said) Check --base-dn and --search-base.")
            }
            if error.code == .referral {
                return .usage("the search base is not held by \(server) (a referral).\(said) Check --search-base, or point --ldap-url at a DC of that domain.")
            }
            return .directory(error.description)
        }
    }
}
