/// Something that makes a run's result less than certain. Every warning printed on standard
/// error during a comparison is also in the report (JSON `warnings`, a banner in the table and
/// HTML, Prometheus `phs_check_warning`, `run-warning` rows in CSV), so that a job that only
/// publishes the report cannot hide it (docs/FINDINGS.md "Warnings").
public struct RunWarning: Sendable, Hashable {
    public var code: WarningCode
    public var message: String

    public init(_ code: WarningCode, _ message: String) {
        self.code = code
        self.message = message
    }
}

public enum WarningCode: String, Sendable, Hashable, CaseIterable, Codable {
    /// `asOf` was inferred and is well before the directory read, or many users changed after it.
    case asOfInferred = "as-of-inferred"
    /// The inferred `asOf` is older than `--max-export-age`.
    case exportAge = "export-age"
    /// No cloud user has `onPremisesSyncEnabled` true: the property is treated as unknown.
    case syncStateUnknown = "sync-state-unknown"
    /// No user in the export has a key field (e.g. `onPremisesImmutableId`).
    case exportFieldMissing = "export-field-missing"
    /// `--insecure-skip-tls-verify`: the DC's certificate was not verified.
    case tlsNotVerified = "tls-not-verified"
    /// Some users' attributes could not be decoded (see their `notes`).
    case undecodableAttributes = "undecodable-attributes"
    /// `--allow-cleartext-bind`: the bind password crossed the network in clear text.
    case cleartextBind = "cleartext-bind"
    /// `--bind-password-file`, `--client-secret-file` or `--client-key` can be read by other users.
    case passwordFileReadable = "password-file-readable"
    /// `--client-certificate` expires within 30 days.
    case clientCertificateExpiring = "client-certificate-expiring"
    /// Graph did not serve a part of the tenant's state (say, `onPremisesSynchronization` to an
    /// app-only caller): the tenant rules that need it were not judged.
    case tenantStatePartial = "tenant-state-partial"
    /// A domain was not read and some synced cloud users name no domain: not judged as orphans.
    case cloudDomainUnknown = "cloud-domain-unknown"
    /// An entry of the exceptions file has expired: the findings it covered count again.
    case exceptionExpired = "exception-expired"
}
