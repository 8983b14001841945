import ArgumentParser
import Foundation
import Logging

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print nothing but errors on standard error.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Log what phs-check does on standard error.")
    var verbose = false

    /// A logger to standard error (standard output is for reports), bootstrapped once.
    func makeLogger() -> Logger {
        let level: Logger.Level = verbose ? .debug : (quiet ? .error : .warning)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "phs-check")
        logger.logLevel = level
        return logger
    }

    func warn(_ message: String) {
        FileHandle.standardError.write(Data("phs-check: warning: \(message)\n".utf8))
    }
}
