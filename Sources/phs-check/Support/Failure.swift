import Foundation

/// The exit codes of docs/COMMANDS.md.
enum ExitStatus: Int32 {
    case clean = 0
    case findings = 1
    case usage = 2
    case directoryUnavailable = 3
}

/// A failure that ends the command with a plain sentence on standard error and an exit code.
/// The message never holds a password: only DNs, URLs, file names and the server's words.
struct Failure: Error, CustomStringConvertible, Sendable {
    var status: ExitStatus
    var message: String

    static func usage(_ message: String) -> Failure { Failure(status: .usage, message: message) }
    static func directory(_ message: String) -> Failure { Failure(status: .directoryUnavailable, message: message) }

    var description: String { message }

    /// The message on one line, as a report or a snapshot section records why a domain was not read.
    var oneLine: String { message.split(whereSeparator: \.isNewline).joined(separator: " ") }
}
