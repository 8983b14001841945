public import Logging
public import SyncAudit
import Foundation
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
        // Entries are decoded, and handed to `onUser`, on a second thread while the next ones
        // arrive: reading and decoding overlap, in order, a few batches apart at most.
        let decoded = try withoutActuallyEscaping(onUser) { onUser in
            try EntryPipeline.run(decode: { entry in
                let user = DirectoryUser(entry: entry)
                if !user.notes.isEmpty {
                    logger.debug("user attributes with notes", metadata: [
                        "dn": "\(user.distinguishedName)", "notes": "\(user.notes.joined(separator: "; "))",
                    ])
                }
                try onUser(user)
                return !user.notes.isEmpty
            }) { send in
                var sent = 0
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
                                                    pageInBase: info.page, pages: summary.pages, users: sent))
                            },
                            onEntry: { entry in
                                sent += 1
                                try send(entry)
                            })
                    } catch let error as LDAPError where error.code == .noSuchObject {
                        throw ActiveDirectoryError(
                            kind: .noSuchSearchBase, server: directory.url,
                            message: "search base \"\(base)\" does not exist on \(directory.url) (\(error.message)); check --search-base / --base-dn")
                    }
                }
            }
        }
        summary.users = decoded.items
        summary.usersWithNotes = decoded.flagged
        return summary
    }
}

/// Entries handed from the thread that reads them to a thread that decodes them, in batches
/// through a small bounded queue, so that the two overlap and memory stays flat. An error on
/// either side stops both and is thrown once both have stopped.
enum EntryPipeline {
    /// Runs `produce` here, handing each entry to `send`; `decode` runs on another thread,
    /// entry by entry in order, and says whether to count the entry as flagged. Returns how
    /// many entries were decoded and how many were flagged.
    static func run(decode: @escaping (LDAPEntry) throws -> Bool,
                    produce: (_ send: (LDAPEntry) throws -> Void) throws -> Void) throws -> (items: Int, flagged: Int) {
        let queue = Handoff()
        let done = DispatchSemaphore(value: 0)
        let counts = Counts()
        nonisolated(unsafe) let decode = decode
        Thread.detachNewThread {
            defer { done.signal() }
            while let batch = queue.take() {
                for entry in batch {
                    do {
                        if try decode(entry) { counts.flagged += 1 }
                        counts.items += 1
                    } catch {
                        queue.fail(error)
                        return
                    }
                }
            }
        }
        var batch: [LDAPEntry] = []
        batch.reserveCapacity(Handoff.batchSize)
        do {
            try produce { entry in
                batch.append(entry)
                if batch.count == Handoff.batchSize {
                    try queue.put(batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            if !batch.isEmpty { try queue.put(batch) }
            queue.close()
        } catch {
            // The decoder's own failure comes back here through `put`; otherwise stop it.
            queue.fail(error)
            done.wait()
            throw queue.failure ?? error
        }
        done.wait()
        if let failure = queue.failure { throw failure }
        return (counts.items, counts.flagged)
    }

    /// Written by the decoding thread only, read after it has finished.
    private final class Counts: @unchecked Sendable {
        var items = 0
        var flagged = 0
    }

    /// The bounded queue between the two threads.
    private final class Handoff: @unchecked Sendable {
        static let batchSize = 128
        /// Batches in flight at most: reading runs ahead of decoding by a page or so.
        static let capacity = 4
        private let condition = NSCondition()
        private var batches: [[LDAPEntry]] = []
        private var closed = false
        private(set) var failure: (any Error)?

        func put(_ batch: [LDAPEntry]) throws {
            condition.lock()
            defer { condition.unlock() }
            while batches.count >= Self.capacity, failure == nil { condition.wait() }
            if let failure { throw failure }
            batches.append(batch)
            condition.broadcast()
        }

        /// The next batch, or nil once the queue is closed and empty or has failed.
        func take() -> [LDAPEntry]? {
            condition.lock()
            defer { condition.unlock() }
            while batches.isEmpty, !closed, failure == nil { condition.wait() }
            guard failure == nil, !batches.isEmpty else { return nil }
            condition.broadcast()
            return batches.removeFirst()
        }

        func close() {
            condition.lock()
            closed = true
            condition.broadcast()
            condition.unlock()
        }

        /// The first failure wins; the queue stops for both sides.
        func fail(_ error: any Error) {
            condition.lock()
            if failure == nil { failure = error }
            batches.removeAll()
            condition.broadcast()
            condition.unlock()
        }
    }
}
