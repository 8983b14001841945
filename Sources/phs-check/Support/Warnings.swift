import Foundation
import SyncAudit

/// The warnings of one run: each is printed on standard error when it happens and kept for
/// the report, so that a job that only publishes the report still shows it. Domains read in
/// parallel add to the same list.
final class Warnings: @unchecked Sendable {
    private let global: GlobalOptions
    private let lock = NSLock()
    private var warnings: [RunWarning] = []

    init(global: GlobalOptions) { self.global = global }

    var all: [RunWarning] { lock.withLock { warnings } }

    func add(_ code: WarningCode, _ message: String) {
        add(RunWarning(code, message))
    }

    func add(_ warning: RunWarning) {
        lock.withLock {
            global.warn(warning.message)
            warnings.append(warning)
        }
    }
}

/// Options are values read once from the command line; the domains read in parallel share them.
extension GlobalOptions: @unchecked Sendable {}
