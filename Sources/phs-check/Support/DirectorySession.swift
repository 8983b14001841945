import ActiveDirectory
import Foundation
import LDAPClient
import Logging
import SyncAudit

/// A bound connection to a DC and where its users are: what `collect`, `check` and `explain`
/// share. Directory errors leave as `Failure`s with the exit codes of docs/COMMANDS.md.
struct DirectorySession {
    let connection: LDAPConnection
    let baseDN: String
    let collector: DirectoryCollector
    let logger: Logger

    /// The server as the snapshot and the report name it.
    var server: String { connection.url }

    static func open(_ options: DirectoryOptions, global: GlobalOptions, warnings: Warnings, logger: Logger) throws(Failure) -> DirectorySession {
        let configuration = try options.configuration(warnings: warnings)
        if options.insecureSkipTLSVerify {
            warnings.add(.tlsNotVerified, "--insecure-skip-tls-verify: the DC's certificate is NOT verified; anyone on the network path can read the bind and the users. Use --ca-file instead.")
        }
        let query: UserQuery
        do {
            query = try UserQuery(extraFilter: options.filter)
        } catch {
            throw .usage("--filter: \(error.description)")
        }
        return try directoryCall {
            let connection = try LDAPConnection.connect(configuration, logger: logger)
            var baseDN = options.baseDN
            if baseDN == nil {
                baseDN = try RootDSE.read(from: connection).namingContext
            }
            guard let baseDN else {
                throw Failure.usage("\(connection.url) names no defaultNamingContext in its RootDSE: give the domain with --base-dn DC=example,DC=com")
            }
            let bases = options.searchBases.isEmpty ? [baseDN] : options.searchBases
            let collector = DirectoryCollector(searchBases: bases, query: query, pageSize: options.pageSize)
            return DirectorySession(connection: connection, baseDN: baseDN, collector: collector, logger: logger)
        }
    }

    /// Streams every user in scope; `onProgress` gets (users, pages) after each page.
    func readUsers(onProgress: (Int, Int) -> Void = { _, _ in }, onUser: (DirectoryUser) throws -> Void) throws(Failure) -> DirectoryCollector.Summary {
        try directoryCall {
            try collector.collect(from: connection, logger: logger,
                                  onProgress: { onProgress($0.users, $0.pages) }, onUser: onUser)
        }
    }
}

/// Runs a directory operation, mapping its errors to the command's failures.
func directoryCall<T>(_ body: () throws -> T) throws(Failure) -> T {
    do {
        return try body()
    } catch let failure as Failure {
        throw failure
    } catch let error as LDAPError {
        throw Failure.directory(error)
    } catch let error as CanaryError {
        // A reset the DC refused is a refused permission (3); a wrong or unsafe canary is usage (2).
        throw error.kind == .resetRefused ? Failure.directory(error.message) : Failure.usage(error.message)
    } catch let error as ActiveDirectoryError {
        switch error.kind {
        case .noSuchSearchBase, .noNamingContext: throw Failure.usage(error.message)
        case .noRootDSE: throw Failure.directory(error.message)
        }
    } catch {
        throw Failure(status: .usage, message: "\(error)")
    }
}
