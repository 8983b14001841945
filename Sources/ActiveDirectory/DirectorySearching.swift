public import LDAPClient

/// The one call ActiveDirectory makes on a connection: a streaming, optionally paged search.
///
/// `LDAPConnection` conforms; tests use an in-memory directory.
public protocol DirectorySearching {
    /// The URL (or another name) of the server, for messages.
    var url: String { get }

    func search(
        base: String,
        scope: LDAPScope,
        filter: String,
        attributes: [String],
        pageSize: Int?,
        onPage: (LDAPPageInfo) -> Void,
        onEntry: (LDAPEntry) throws -> Void
    ) throws
}

extension LDAPConnection: DirectorySearching {}

/// A problem with where or what to search, as opposed to a protocol or network error.
public struct ActiveDirectoryError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The server returned no RootDSE entry.
        case noRootDSE
        /// The RootDSE names no `defaultNamingContext` and no search base was given.
        case noNamingContext
        /// A search base does not exist on the server.
        case noSuchSearchBase
    }

    public var kind: Kind
    public var server: String
    public var message: String

    public init(kind: Kind, server: String, message: String) {
        self.kind = kind
        self.server = server
        self.message = message
    }

    public var description: String { message }
}
