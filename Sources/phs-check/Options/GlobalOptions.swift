import ArgumentParser
import Foundation
import Logging

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print nothing but errors on standard error.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Log what phs-check does on standard error.")
    var verbose = false

    /// Read by `ConfigFile.expand` before parsing (PHSCheck.main); declared here so that it
    /// shows in --help and the parser accepts it.
    @Option(name: .customLong("config"), help: ArgumentHelp(
        "A YAML file of options: keys are the long option names (ldap-url: ldaps://dc1.example.com, grace: 2h). The command line wins.",
        valueName: "file"), completion: .file())
    var config: String?

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
        PHSCheck.printError("phs-check: warning: \(message)")
    }
}
