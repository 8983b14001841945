import CoreFoundation
import Foundation

/// Where a command writes its report or snapshot: standard output, or a file that appears
/// whole or not at all (written to a temporary file beside it, flushed, then renamed over).
/// A path that exists and is not a regular file (`/dev/null`, a FIFO, a terminal) is written
/// in place: renaming over it would replace the device with a file.
final class Output {
    private let handle: FileHandle
    /// For messages: the path, or "standard output".
    private let name: String
    private let finalPath: String?
    private let temporaryPath: String?
    private var buffer = Data()
    private var finished = false

    /// `path` nil or "-" means standard output.
    init(path: String?) throws(Failure) {
        guard let path, path != "-" else {
            handle = FileHandle.standardOutput
            name = "standard output"
            finalPath = nil
            temporaryPath = nil
            return
        }
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw .usage("--output \(path): cannot write to it (\(String(cString: strerror(errno))))")
            }
            self.handle = handle
            name = path
            finalPath = nil
            temporaryPath = nil
            return
        }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .usage("--output \(path): the folder \(directory) does not exist; create it or choose another path")
        }
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o644]),
              let handle = FileHandle(forWritingAtPath: temporary)
        else {
            throw .usage("--output \(path): cannot write in \(directory) (\(String(cString: strerror(errno)))); choose a writable folder")
        }
        self.handle = handle
        self.name = path
        self.finalPath = path
        self.temporaryPath = temporary
        TemporaryFiles.add(temporary)
    }

    /// Refuses an `--output` that names one of the run's inputs (the same file by device and
    /// inode, or the same path): the report would replace the snapshot, export or history it
    /// was made from. Call before reading anything.
    static func refuseOverwriting(_ outputs: [String], inputs: [(option: String, path: String?)]) throws(Failure) {
        for output in outputs { try refuseOverwriting(output, inputs: inputs) }
    }

    static func refuseOverwriting(_ output: String?, inputs: [(option: String, path: String?)]) throws(Failure) {
        guard let output, output != "-" else { return }
        func status(_ path: String) -> stat? {
            var info = stat()
            return stat(path, &info) == 0 ? info : nil
        }
        func canonical(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
        let target = status(output)
        // A device or FIFO (/dev/null, /dev/stdout) is not a file an input could be read back from.
        if let target, target.st_mode & S_IFMT != S_IFREG { return }
        for (option, path) in inputs {
            guard let path, path != "-" else { continue }
            let same = target.map { t in status(path).map { $0.st_dev == t.st_dev && $0.st_ino == t.st_ino } ?? false }
                ?? (canonical(path) == canonical(output))
            if same {
                throw .usage("\(output) is the file given to \(option): the report would replace it. Write the report to another file")
            }
        }
    }

    func write(_ data: Data) throws(Failure) {
        buffer.append(data)
        if buffer.count >= 1 << 16 { try flush() }
    }

    func write(_ text: String) throws(Failure) {
        var text = text
        text.withUTF8 { bytes in buffer.append(bytes) }
        if buffer.count >= 1 << 16 { try flush() }
    }

    /// The output as a `TextOutputStream` for a renderer that writes as it goes; the first
    /// failure stops the writing and is thrown by `finish()`.
    struct Stream: TextOutputStream {
        private let output: Output
        private var failure: Failure?

        init(_ output: Output) { self.output = output }

        mutating func write(_ text: String) {
            guard failure == nil else { return }
            do { try output.write(text) } catch { failure = error }
        }

        func finish() throws(Failure) {
            if let failure { throw failure }
        }
    }

    /// Writes the buffer with write(2), so that a failure says why in the system's words
    /// (with SIGPIPE ignored, a reader that went away is `EPIPE`, "Broken pipe").
    private func flush() throws(Failure) {
        guard !buffer.isEmpty else { return }
        let fd = handle.fileDescriptor
        let failure: Int32? = buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return nil
        }
        if let failure {
            let reason = String(cString: strerror(failure))
            let hint = failure == EPIPE ? " (the program reading it stopped before the end)" : ""
            throw .usage("cannot write \(name): \(reason)\(hint); what was written is incomplete")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and, for a file, syncs and renames it into place.
    func commit() throws(Failure) {
        try flush()
        finished = true
        guard let finalPath, let temporaryPath else { return }
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            throw .usage("cannot write \(finalPath): \(error.localizedDescription)")
        }
        defer { TemporaryFiles.remove(temporaryPath) }
        guard rename(temporaryPath, finalPath) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw .usage("cannot move the finished file into place at \(finalPath): \(reason)")
        }
    }

    deinit {
        // A command that failed leaves no half-written file behind.
        if !finished, let temporaryPath {
            try? handle.close()
            unlink(temporaryPath)
            TemporaryFiles.remove(temporaryPath)
        }
    }
}
