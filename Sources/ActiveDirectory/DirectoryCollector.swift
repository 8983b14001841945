public import Logging
public import SyncAudit
import LDAPClient

/// Streams the users of a directory as `DirectoryUser` values, base by base and page by page.
///
/// Nothing is accumulated: each entry is decoded and handed to `onUser` before the next one
/// is read, so memory does not grow with the directory. Overlapping search bases are
/// resolved before searching (a base inside another one is skipped), which keeps every
/// user to one delivery without remembering the DNs already seen.
public struct DirectoryCollector: Sendable {
    /// The sync scope (`--search-base`); empty means the RootDSE naming context.
    public var searchBases: [String]
    public var query: UserQuery
    /// Entries per page (paged results control); `nil` or 0 sends no control.
    public var pageSize: Int?

    public init(searchBases: [String] = [], query: UserQuery = .allUsers, pageSize: Int? = 500) {
        self.searchBases = searchBases
        self.query = query
        self.pageSize = pageSize
    }

    /// Reported after each page.
    public struct Progress: Sendable, Hashable {
        /// The search base being read.
        public var base: String
        /// 1-based index of `base` among the bases searched, and how many there are.
        public var baseIndex: Int
        public var baseCount: Int
        /// Pages done in this base, and in all bases so far.
        public var pageInBase: Int
        public var pages: Int
        /// Users delivered so far, all bases.
        public var users: Int
    }

    /// A search base left out because another one already covers it.
    public struct SkippedBase: Sendable, Hashable {
        public var base: String
        public var coveredBy: String
    }

    /// What a collection did.
    public struct Summary: Sendable, Hashable {
        /// The bases searched, in order.
        public var bases: [String]
        public var skippedBases: [SkippedBase]
        public var users: Int
        public var pages: Int
        /// Users with at least one note (a missing or malformed attribute).
        public var usersWithNotes: Int
    }

    /// The bases to search: each given base unless it equals or lies under another one (the
    /// first of equal bases is kept). A base that is not a valid DN is kept as is, for the
    /// server to reject with its own message.
    public static func plan(bases: [String]) -> (search: [String], skipped: [SkippedBase]) {
        let parsed = bases.map { DistinguishedName($0) }
        // A base is covered when it lies inside another one; of equal bases the first stays.
        func isCovered(_ i: Int) -> Bool {
            guard let dn = parsed[i] else { return false }
            return parsed.indices.contains { j in
                guard j != i, let other = parsed[j], dn.isWithin(other) else { return false }
                return !other.isWithin(dn) || j < i
            }
        }
        let kept = bases.indices.filter { !isCovered($0) }
        var skipped: [SkippedBase] = []
        for i in bases.indices where !kept.contains(i) {
            // The outermost bases are kept, so one of them covers this one.
            let cover = kept.first { j in parsed[j].map { parsed[i]?.isWithin($0) == true } ?? false }
            skipped.append(SkippedBase(base: bases[i], coveredBy: cover.map { bases[$0] } ?? ""))
        }
        return (kept.map { bases[$0] }, skipped)
    }

    /// Searches every base and calls `onUser` with each user as it arrives.
    ///
    /// - Throws: `ActiveDirectoryError` (no naming context, a base that does not exist),
    ///   `LDAPError` from the connection, or what `onUser` threw.
    public func collect(
        from directory: some DirectorySearching,
        logger: Logger = Logger(label: "phs-check.active-directory"),
        onProgress: (Progress) -> Void = { _ in },
        onUser: (DirectoryUser) throws -> Void
    ) throws -> Summary {
        var bases = searchBases
        if bases.isEmpty {
            let root = try RootDSE.read(from: directory)
            guard let context = root.namingContext else {
                throw ActiveDirectoryError(
                    kind: .noNamingContext, server: directory.url,
                    message: "\(directory.url) names no defaultNamingContext in its RootDSE; give the domain with --base-dn or --search-base")
            }
            logger.debug("search base from RootDSE defaultNamingContext", metadata: ["base": "\(context)"])
            bases = [context]
        }
        let plan = Self.plan(bases: bases)
        for skip in plan.skipped {
            logger.info("search base skipped: it lies inside another one", metadata: [
                "base": "\(skip.base)", "coveredBy": "\(skip.coveredBy)",
            ])
        }
        var summary = Summary(bases: plan.search, skippedBases: plan.skipped, users: 0, pages: 0, usersWithNotes: 0)
        for (index, base) in plan.search.enumerated() {
            let pagesBefore = summary.pages
            logger.debug("searching users", metadata: ["base": "\(base)", "filter": "\(query.filter)"])
            do {
                try directory.search(
                    base: base, scope: .subtree, filter: query.filter, attributes: query.attributes,
                    pageSize: pageSize,
                    onPage: { info in
                        summary.pages = pagesBefore + info.page
                        onProgress(Progress(base: base, baseIndex: index + 1, baseCount: plan.search.count,
                                            pageInBase: info.page, pages: summary.pages, users: summary.users))
                    },
                    onEntry: { entry in
                        let user = DirectoryUser(entry: entry)
                        if !user.notes.isEmpty {
                            summary.usersWithNotes += 1
                            logger.debug("user attributes with notes", metadata: [
                                "dn": "\(user.distinguishedName)", "notes": "\(user.notes.joined(separator: "; "))",
                            ])
                        }
                        summary.users += 1
                        try onUser(user)
                    })
            } catch let error as LDAPError where error.code == .noSuchObject {
                throw ActiveDirectoryError(
                    kind: .noSuchSearchBase, server: directory.url,
                    message: "search base \"\(base)\" does not exist on \(directory.url) (\(error.message)); check --search-base / --base-dn")
            }
        }
        return summary
    }
}
