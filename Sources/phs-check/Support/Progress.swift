import Foundation

/// Progress on standard error while a long read runs: only on an interactive terminal and
/// never with --quiet, so logs and pipes stay clean.
struct Progress {
    let enabled: Bool
    private let started = Date()

    init(quiet: Bool) {
        enabled = !quiet && isatty(STDERR_FILENO) == 1
    }

    func update(_ users: Int, _ pages: Int) {
        guard enabled else { return }
        let elapsed = max(Date().timeIntervalSince(started), 0.001)
        let rate = Int(Double(users) / elapsed)
        FileHandle.standardError.write(Data("\r\u{1B}[K\(users) users, \(pages) pages, \(rate) users/s".utf8))
    }

    func finish(_ summary: String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(summary)\n".utf8))
    }
}
