import Dispatch
import Foundation

/// Signals, so that no way of ending a run leaves it looking like something else.
///
/// - SIGPIPE is ignored: a closed pipe or a lost LDAP connection is then an error from the
///   write (`EPIPE`), reported and recorded like any other, instead of killing the process
///   silently with status 141 and no failed run in the history.
/// - SIGTERM and SIGINT (systemd stopping the unit, Ctrl-C): the run is recorded as failed
///   (with `--history`), the failure documents are written (Prometheus, HTML), temporary files
///   are removed, and the process exits with 128 + the signal's number.
enum Interruption {
    /// What the current run does when interrupted (set by `RunRecorder` while a run is on).
    private nonisolated(unsafe) static var handler: ((String) -> Void)?
    private nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []
    private static let lock = NSLock()
    private static let queue = DispatchQueue(label: "phs-check.signals")

    /// Call once, first thing in `main`.
    static func install() {
        signal(SIGPIPE, SIG_IGN)
        for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            // The default action must be off for the dispatch source to see the signal.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { interrupted(number, name) }
            source.resume()
            sources.append(source)
        }
    }

    /// Runs `body` with `onInterrupt` as the run's interruption handler.
    static func during<T>(_ onInterrupt: @escaping (String) -> Void, _ body: () throws -> T) rethrows -> T {
        lock.withLock { handler = onInterrupt }
        defer { lock.withLock { handler = nil } }
        return try body()
    }

    private static func interrupted(_ number: Int32, _ name: String) {
        let message = "interrupted by \(name) before the run finished; nothing was compared"
        PHSCheck.printError(PHSCheck.errorLine(message))
        lock.withLock { handler }?(message)
        TemporaryFiles.removeAll()
        exit(128 + number)
    }
}

/// The temporary files of atomic outputs in progress, so that an interrupted run removes them.
enum TemporaryFiles {
    private nonisolated(unsafe) static var paths: Set<String> = []
    private static let lock = NSLock()

    static func add(_ path: String) { _ = lock.withLock { paths.insert(path) } }
    static func remove(_ path: String) { _ = lock.withLock { paths.remove(path) } }

    static func removeAll() {
        for path in lock.withLock({ paths }) { unlink(path) }
    }
}
