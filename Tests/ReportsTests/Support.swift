import Foundation
import Testing

/// Runs helper programs (python3, chromium) for the tests.
enum Tool {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `program` to completion with `stdin`, killing it after `timeout` seconds.
    static func run(_ program: String, _ arguments: [String], stdin: String? = nil, timeout: TimeInterval = 120) throws -> Result {
        guard FileManager.default.isExecutableFile(atPath: program) else {
            throw Missing(program: program)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let outFile = temporaryFile("out"), errFile = temporaryFile("err")
        _ = FileManager.default.createFile(atPath: outFile, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: outFile)
            try? FileManager.default.removeItem(atPath: errFile)
        }
        // Files rather than pipes: nothing can fill up and block the child.
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outFile))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errFile))
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                process.waitUntilExit()
                throw TimedOut(program: program, seconds: timeout)
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        try out.close()
        try err.close()
        return Result(status: process.terminationStatus,
                      stdout: (try? String(contentsOfFile: outFile, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: errFile, encoding: .utf8)) ?? "")
    }

    static func temporaryFile(_ prefix: String, _ suffix: String = "") -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("phs-reports-\(prefix)-\(UUID().uuidString)\(suffix)").path
    }

    struct Missing: Error, CustomStringConvertible {
        var program: String
        var description: String { "\(program) is not installed: run scripts/install-deps.sh" }
    }

    struct TimedOut: Error, CustomStringConvertible {
        var program: String
        var seconds: TimeInterval
        var description: String { "\(program) did not finish within \(Int(seconds)) s" }
    }
}

/// The package's folders, found from this file.
enum Paths {
    static let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let package = testsFolder.deletingLastPathComponent().deletingLastPathComponent()
    /// The package's own JSON Schemas (docs/schema), or PHS_CHECK_SCHEMA_DIR.
    static let schemaFolder: String = ProcessInfo.processInfo.environment["PHS_CHECK_SCHEMA_DIR"]
        ?? package.appendingPathComponent("docs/schema").path
}
