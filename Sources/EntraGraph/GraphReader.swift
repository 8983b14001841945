public import CloudExport
public import Foundation
public import SyncAudit

/// The reads phs-check makes on Graph: every user, page by page, and the tenant's state.
public struct GraphReader: Sendable {
    public let session: GraphSession

    public init(session: GraphSession) { self.session = session }

    /// The user properties asked for with `$select`: every field phs-check reads
    /// (https://learn.microsoft.com/graph/api/resources/user). Graph returns
    /// `lastPasswordChangeDateTime` and the `onPremises*` properties only when selected.
    public static let userProperties = CloudUserField.allCases.map(\.rawValue)

    /// The most users per page Graph serves for `/users` (`$top` 1..999).
    public static let pageSize = 999

    /// What reading the users found.
    public struct UsersRead: Sendable {
        public var startedAt: Date
        public var finishedAt: Date
        public var users: Int
        public var pages: Int
        public var fieldsPresent: Set<CloudUserField>
        public var newestTimestamp: Date?
    }

    /// `GET /v1.0/users?$select=...&$top=999`, then each `@odata.nextLink` verbatim until a page
    /// has none (https://learn.microsoft.com/graph/paging). Each page is read and handed to
    /// `onPage` before the next is asked for: one page is held at a time.
    public func readUsers(keepLines: Bool, onPage: (GraphUsersPage, _ pages: Int, _ users: Int) throws -> Void) async throws -> UsersRead {
        let startedAt = Date()
        var url: String? = session.settings.endpoints.v1 + "/users?$select=" + Self.userProperties.joined(separator: ",") + "&$top=\(Self.pageSize)"
        var read = UsersRead(startedAt: startedAt, finishedAt: startedAt, users: 0, pages: 0, fieldsPresent: [])
        var seen = Set<String>()
        while let next = url {
            guard seen.insert(next).inserted else {
                throw GraphError(.badResponse, "Graph sent the same @odata.nextLink twice after \(read.pages) pages: the listing would never end")
            }
            let what = "the users (page \(read.pages + 1))"
            let body: [UInt8]
            do { body = try await session.get(next, what: what) } catch { throw error.forbiddenAdvice("User.Read.All") }
            let page: GraphUsersPage
            do {
                page = try CloudExportReader.readUsersPage(body, name: "Graph \(what)", keepLines: keepLines)
            } catch {
                throw GraphError(.badResponse, "Graph answered \(what) with a body phs-check cannot read: \(error.description)")
            }
            if let link = page.nextLink { try Self.checkNextLink(link, graphRoot: session.settings.endpoints.graphRoot) }
            read.pages += 1
            read.users += page.users.count
            read.fieldsPresent.formUnion(page.fieldsPresent)
            for user in page.users {
                for date in [user.lastPasswordChangeDateTime, user.onPremisesLastSyncDateTime].compactMap({ $0 })
                where read.newestTimestamp.map({ date > $0 }) ?? true {
                    read.newestTimestamp = date
                }
            }
            try onPage(page, read.pages, read.users)
            url = page.nextLink
        }
        read.finishedAt = Date()
        return read
    }

    /// The cloud users whose `onPremisesImmutableId` is `anchor` (the sync anchor: base64 of the
    /// user's `mS-DS-ConsistencyGuid` or `objectGUID`): `GET /v1.0/users?$filter=onPremisesImmutableId
    /// eq '...'&$select=...` (the property supports `eq`, https://learn.microsoft.com/graph/api/resources/user).
    /// Usually one; none when the user is not in the cloud; several are the join's ambiguity.
    public func users(anchor: String) async throws -> [CloudUser] {
        let filter = "onPremisesImmutableId eq '\(anchor.replacingOccurrences(of: "'", with: "''"))'"
        let url = session.settings.endpoints.v1 + "/users?$filter=" + GraphSession.formEncode(filter)
            + "&$select=" + Self.userProperties.joined(separator: ",")
        let what = "the user with onPremisesImmutableId \(anchor)"
        let body: [UInt8]
        do { body = try await session.get(url, what: what) } catch { throw error.forbiddenAdvice("User.Read.All") }
        do {
            return try CloudExportReader.readUsersPage(body, name: "Graph \(what)", keepLines: false).users
        } catch {
            throw GraphError(.badResponse, "Graph answered \(what) with a body phs-check cannot read: \(error.description)")
        }
    }

    /// A nextLink goes where the first request went: the token is never sent to another host.
    static func checkNextLink(_ link: String, graphRoot: String) throws(GraphError) {
        guard let next = URL(string: link), let root = URL(string: graphRoot),
              next.scheme?.lowercased() == "https", next.host?.lowercased() == root.host?.lowercased(), next.port == root.port
        else {
            throw GraphError(.badResponse, "Graph's @odata.nextLink points to \(GraphTransport.place(link)), not to \(graphRoot): phs-check does not send its token there")
        }
    }

    // MARK: Tenant

    /// The tenant's state, and what could not be read (each a sentence for the report).
    public struct TenantRead: Sendable {
        public var document: TenantDocument
        public var facts: TenantFacts
        public var notes: [String]
    }

    /// `organization` (v1.0: sync state; beta: the PHS heartbeat
    /// `onPremisesLastPasswordSyncDateTime`), `directory/onPremisesSynchronization` (its
    /// features; Graph serves it to delegated callers only, so an app gets 403), and the Cloud
    /// Sync configurations with their jobs. A part Graph refuses is a note, not a failure: the
    /// rules that need it are not judged, and the report says so.
    public func readTenant() async throws -> TenantRead {
        let endpoints = session.settings.endpoints
        var document = TenantDocument()
        var notes: [String] = []
        async let organization = attempt { try await session.get(endpoints.v1 + "/organization?$select=id,onPremisesSyncEnabled,onPremisesLastSyncDateTime", what: "the organization") }
        async let heartbeat = attempt { try await session.get(endpoints.beta + "/organization?$select=id,onPremisesLastPasswordSyncDateTime", what: "the organization (beta)") }
        async let features = attempt { try await session.get(endpoints.v1 + "/directory/onPremisesSynchronization", what: "directory/onPremisesSynchronization") }
        async let cloudSync = attempt { try await readCloudSync() }

        switch await organization {
        case .success(let body): document.organization = body
        case .failure(let error): throw error.forbiddenAdvice("Organization.Read.All")
        }
        switch await heartbeat {
        case .success(let body): document.organizationBeta = body
        case .failure(let error) where error.kind == .forbidden || error.kind == .refused:
            notes.append("The PHS heartbeat (organization onPremisesLastPasswordSyncDateTime, Graph beta) was not read: \(error.message). phs-heartbeat-stale was not judged.")
        case .failure(let error): throw error
        }
        switch await features {
        case .success(let body): document.onPremisesSynchronization = body
        case .failure(let error) where error.kind == .forbidden:
            notes.append("Graph serves directory/onPremisesSynchronization (passwordSyncEnabled, userForcePasswordChangeOnLogonEnabled) to delegated callers only: an app gets 403 whatever its permissions (a signed-in Global Administrator with OnPremDirectorySynchronization.Read.All may read it; https://learn.microsoft.com/graph/api/onpremisesdirectorysynchronization-get). phs-disabled was not judged; give those features with --tenant FILE, or --force-password-change-on-logon.")
        case .failure(let error): throw error
        }
        switch await cloudSync {
        case .success(let entries): document.cloudSync = entries
        case .failure(let error) where error.kind == .forbidden:
            notes.append("The Entra Cloud Sync jobs were not read: \(error.message). Grant the app Synchronization.Read.All (application) with admin consent; the cloud-sync-phs-* rules were not judged.")
        case .failure(let error): throw error
        }
        let facts: TenantFacts
        do {
            facts = try document.facts(name: "Graph tenant state")
        } catch {
            throw GraphError(.badResponse, "Graph's tenant state cannot be read: \(error.description)")
        }
        return TenantRead(document: document, facts: facts, notes: notes)
    }

    /// The Cloud Sync configurations (service principals made from Cloud Sync's application
    /// template) and each one's synchronization jobs response.
    private func readCloudSync() async throws(GraphError) -> [(servicePrincipalId: String, displayName: String, jobs: [UInt8])] {
        let endpoints = session.settings.endpoints
        let filter = "applicationTemplateId%20eq%20%27\(CloudSyncJob.applicationTemplateId)%27"
        var url: String? = endpoints.v1 + "/servicePrincipals?$filter=\(filter)&$select=id,displayName"
        var principals: [(String, String)] = []
        while let next = url {
            let body = try await session.get(next, what: "the Cloud Sync service principals")
            guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any],
                  let value = object["value"] as? [[String: Any]] else {
                throw GraphError(.badResponse, "Graph answered the Cloud Sync service principals with a body that is not a collection")
            }
            for sp in value {
                guard let id = sp["id"] as? String, UUID(uuidString: id) != nil else {
                    throw GraphError(.badResponse, "Graph listed a Cloud Sync service principal without a GUID id")
                }
                principals.append((id, sp["displayName"] as? String ?? "(unnamed)"))
            }
            url = object["@odata.nextLink"] as? String
            if let link = url { try Self.checkNextLink(link, graphRoot: endpoints.graphRoot) }
        }
        var entries: [(servicePrincipalId: String, displayName: String, jobs: [UInt8])] = []
        for (id, name) in principals {
            let jobs = try await session.get(endpoints.v1 + "/servicePrincipals/\(id)/synchronization/jobs", what: "the synchronization jobs of \(name)")
            entries.append((id, name, jobs))
        }
        return entries
    }

    private func attempt<T: Sendable>(_ body: () async throws -> T) async -> Result<T, GraphError> {
        do { return .success(try await body()) } catch let error as GraphError { return .failure(error) } catch {
            return .failure(GraphError(.network, "\(error)"))
        }
    }
}

extension GraphError {
    /// A 403 on a read the run needs: name the application permission that grants it.
    func forbiddenAdvice(_ permission: String) -> GraphError {
        guard kind == .forbidden else { return self }
        return GraphError(.forbidden, "\(message). Grant the app the application permission \(permission) and an admin's consent (Entra admin center, App registrations, API permissions).")
    }
}
