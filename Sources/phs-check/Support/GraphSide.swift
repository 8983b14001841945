import CloudExport
import EntraGraph
import Foundation
import Logging
import SyncAudit

/// The cloud side read live from Microsoft Graph: the users page by page and, at the same
/// time, the tenant's state. Runs on its own task so that `check` reads the directory while
/// Graph is read; the command waits for it with `wait()`.
final class GraphSide: @unchecked Sendable {
    struct Read: Sendable {
        var users: GraphReader.UsersRead
        var tenant: GraphReader.TenantRead
        var settings: GraphSettings

        /// The header an export-cloud file carries, and the summary a live `check` reports.
        var header: GraphExportHeader {
            GraphExportHeader(tool: "phs-check \(PHSCheck.version)", tenantId: settings.tenantId,
                              graphURL: settings.endpoints.v1, fetchStartedAt: users.startedAt,
                              fetchFinishedAt: users.finishedAt, properties: GraphReader.userProperties,
                              tenant: tenant.facts, notes: tenant.notes)
        }
    }

    private let done = DispatchSemaphore(value: 0)
    private var result: Result<Read, GraphError>?

    /// Starts reading; `onPage` gets each page of users as it arrives (on the reading task).
    init(_ settings: GraphSettings, logger: Logger, keepLines: Bool,
         onPage: @escaping @Sendable (GraphUsersPage, _ pages: Int, _ users: Int) throws -> Void) throws(Failure) {
        let session: GraphSession
        do { session = try GraphSession(settings: settings, logger: logger) } catch { throw Failure(graph: error) }
        Task.detached { [self] in
            let reader = GraphReader(session: session)
            let outcome: Result<Read, GraphError>
            do {
                async let tenant = reader.readTenant()
                let users = try await reader.readUsers(keepLines: keepLines, onPage: onPage)
                outcome = .success(Read(users: users, tenant: try await tenant, settings: settings))
            } catch let error as GraphError {
                outcome = .failure(error)
            } catch let failure as Failure {
                outcome = .failure(GraphError(failure.status == .usage ? .configuration : .network, failure.message))
            } catch {
                outcome = .failure(GraphError(.badResponse, "\(error)"))
            }
            await session.shutdown()
            self.result = outcome
            self.done.signal()
        }
    }

    /// Blocks until the read has ended; its result, or its failure with the exit code it calls for.
    func wait() throws(Failure) -> Read {
        done.wait()
        switch result! {
        case .success(let read):
            guard read.users.users > 0 else {
                throw .directory("Graph listed no users in tenant \(read.settings.tenantId): check that the app has the application permission User.Read.All with an admin's consent")
            }
            return read
        case .failure(let error): throw Failure(graph: error)
        }
    }
}

extension CloudOptions.Loaded {
    /// The cloud side of a comparison from a live Graph read (`--cloud graph`); a `--tenant`
    /// file's facts go over Graph's.
    init(graph read: GraphSide.Read, users: [CloudUser], tenantFile: TenantFacts?) {
        let header = read.header
        var summary = CloudExportSummary(
            source: "Microsoft Graph \(read.settings.endpoints.v1) (tenant \(read.settings.tenantId))", format: .graph,
            variant: "\(read.users.users) users in \(read.users.pages) pages, read from \(Timestamp.format(read.users.startedAt)) to \(Timestamp.format(read.users.finishedAt))",
            encoding: "UTF-8", users: read.users.users, newestTimestamp: read.users.newestTimestamp,
            fieldsPresent: read.users.fieldsPresent, dateFormat: nil)
        summary.graphExport = header
        self.init(users: users, summary: summary, tenant: header.tenant.merging(tenantFile))
    }
}
