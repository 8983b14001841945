import SyncAudit
import Foundation

extension AuditReport {
    /// Whether the reports show the run's domains one by one: several, or one not read.
    var showsDomains: Bool {
        result.domains.count > 1 || result.domains.contains { $0.status != .read }
    }
}

/// The per-finding facts every report shows, flattened once so the renderers agree.
struct FindingFields {
    var code: String
    var severity: String
    var scope: String
    var domain: String?
    var samAccountName: String?
    var userPrincipalName: String?
    var distinguishedName: String?
    var objectGUID: String?
    var immutableId: String?
    var cloudId: String?
    var matchedBy: String?
    var onPremPasswordLastSet: String?
    var cloudLastPasswordChange: String?
    var message: String
    var nextStep: String
    var command: String?
    var status: String?
    /// How long the change has waited for the cloud (`AuditResult.waited`), whole seconds.
    var waitedSeconds: Int?
    var firstSeen: String?
    var runsOpen: Int?
    /// The reason of the exception that accepts the finding, and when it expires.
    var accepted: String?
    var acceptedUntil: String?

    init(_ finding: Finding, waited: TimeInterval? = nil) {
        let user = finding.directoryUser
        let cloud = finding.cloudUser
        code = finding.code.rawValue
        severity = finding.severity.rawValue
        scope = finding.scope.rawValue
        domain = finding.domain
        samAccountName = finding.samAccountName
        userPrincipalName = finding.userPrincipalName
        distinguishedName = finding.distinguishedName
        objectGUID = user?.objectGUID?.uuidString
        // The cloud's anchor when there is a cloud user, else the anchor the directory user would carry.
        immutableId = cloud?.onPremisesImmutableId ?? user?.sourceAnchor
        cloudId = cloud?.id
        matchedBy = finding.matchedBy?.rawValue
        onPremPasswordLastSet = user?.pwdLastSet.date.map(Timestamp.format)
        cloudLastPasswordChange = cloud?.lastPasswordChangeDateTime.map(Timestamp.format)
        message = finding.message
        nextStep = finding.nextStep
        command = finding.command
        status = finding.status?.rawValue
        waitedSeconds = waited.map { Int($0.rounded(.down)) }
        firstSeen = finding.firstSeen.map(Timestamp.format)
        runsOpen = finding.runsOpen
        accepted = finding.accepted?.reason
        acceptedUntil = finding.accepted.map { Timestamp.format($0.expires) }
    }

    /// Name, value pairs in the report's column order.
    var columns: [(String, String?)] {
        [("severity", severity), ("code", code), ("scope", scope), ("domain", domain), ("samAccountName", samAccountName),
         ("userPrincipalName", userPrincipalName), ("distinguishedName", distinguishedName),
         ("objectGUID", objectGUID), ("immutableId", immutableId), ("cloudId", cloudId),
         ("matchedBy", matchedBy), ("onPremPasswordLastSet", onPremPasswordLastSet),
         ("cloudLastPasswordChange", cloudLastPasswordChange), ("waitedSeconds", waitedSeconds.map(String.init)),
         ("status", status), ("firstSeen", firstSeen), ("runsOpen", runsOpen.map(String.init)),
         ("accepted", accepted), ("acceptedUntil", acceptedUntil), ("message", message),
         ("nextStep", nextStep), ("command", command)]
    }

    /// Every text field passed through `transform` (e.g. to make it safe for a terminal).
    func mapped(_ transform: (String) -> String) -> FindingFields {
        var f = self
        f.domain = domain.map(transform)
        f.samAccountName = samAccountName.map(transform)
        f.userPrincipalName = userPrincipalName.map(transform)
        f.distinguishedName = distinguishedName.map(transform)
        f.immutableId = immutableId.map(transform)
        f.cloudId = cloudId.map(transform)
        f.message = transform(message)
        f.command = command.map(transform)
        f.accepted = accepted.map(transform)
        return f
    }
}
