import SyncAudit

/// The warnings of one run: each is printed on standard error when it happens and kept for
/// the report, so that a job that only publishes the report still shows it.
final class Warnings {
    private let global: GlobalOptions
    private(set) var all: [RunWarning] = []

    init(global: GlobalOptions) { self.global = global }

    func add(_ code: WarningCode, _ message: String) {
        add(RunWarning(code, message))
    }

    func add(_ warning: RunWarning) {
        global.warn(warning.message)
        all.append(warning)
    }
}
