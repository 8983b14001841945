import Foundation
import Testing

/// The result of running a command to completion.
struct CommandResult: Sendable {
    var status: Int32
    var stdout: Data
    var stderr: String
    /// Peak resident memory in KiB, when measured with `measureMemory`.
    var peakKiB: Int?

    var output: String { String(decoding: stdout, as: UTF8.self) }
    var lines: [Substring] { output.split(separator: "\n") }
}

enum CommandRunner {
    /// The `phs-check` executable built beside the test bundle (`.build/debug/phs-check`),
    /// or `PHS_CHECK_BIN`.
    static let phsCheck: String = {
        if let path = ProcessInfo.processInfo.environment["PHS_CHECK_BIN"] { return path }
        var directory = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("phs-check").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        // Fall back to the package's default build folder.
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return package.appendingPathComponent(".build/debug/phs-check").path
    }()

    /// Runs `phs-check` with `arguments`; see `run(_:_:environment:stdin:measureMemory:)`.
    static func phsCheck(_ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil,
                         measureMemory: Bool = false) throws -> CommandResult {
        try run(phsCheck, arguments, environment: environment, stdin: stdin, measureMemory: measureMemory)
    }

    /// Runs a program to completion with the test's environment plus `environment`. Standard
    /// input is empty unless given. With `measureMemory`, GNU time (`/usr/bin/time -f %M`)
    /// reports the child's peak RSS.
    static func run(_ program: String, _ arguments: [String], environment: [String: String] = [:],
                    stdin: Data? = nil, measureMemory: Bool = false) throws -> CommandResult {
        let process = Process()
        var timeFile: String?
        if measureMemory {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("time-\(UUID().uuidString)").path
            timeFile = file
            process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
            process.arguments = ["-f", "%M", "-o", file, program] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        }
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        process.environment = env
        let outPipe = Pipe(), errPipe = Pipe(), inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe
        try process.run()
        if let stdin { inPipe.fileHandleForWriting.write(stdin) }
        try inPipe.fileHandleForWriting.close()
        // Read both pipes concurrently so neither fills up and blocks the child.
        let errData = LockedBox(Data())
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData.value = errPipe.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        var peak: Int?
        if let timeFile {
            let text = (try? String(contentsOfFile: timeFile, encoding: .utf8)) ?? ""
            peak = text.split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            try? FileManager.default.removeItem(atPath: timeFile)
        }
        return CommandResult(status: process.terminationStatus, stdout: out,
                             stderr: String(decoding: errData.value, as: UTF8.self), peakKiB: peak)
    }
}

extension CommandRunner {
    /// Runs a program with its standard output and error appended to `output` and no standard
    /// input, and waits for it with `waitpid`: for scripts that start daemons, which keep what
    /// they inherit open long after the script has ended. Returns the exit status.
    static func spawnAndWait(_ program: String, _ arguments: [String], output: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program, &actions, nil, argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECHILD) }
        }
        // WIFEXITED / WEXITSTATUS, which Swift does not import.
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }
}

final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: Value
    init(_ value: Value) { _value = value }
    var value: Value {
        get { lock.withLock { _value } }
        set { lock.withLock { _value = newValue } }
    }
}
