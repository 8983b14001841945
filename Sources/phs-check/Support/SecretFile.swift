import Foundation
import CoreFoundation
import SyncAudit

/// A secret kept in a file (`--bind-password-file`, `--client-secret-file`; a systemd
/// credential is such a file): its first line, a final LF or CRLF not part of it. A second
/// line is refused (which one was meant?), so is an empty file; a file other users can read
/// gets a warning. The secret itself is never in a message.
enum SecretFile {
    /// `what` names the secret in messages ("the password for CN=svc,..."); `why` is added to
    /// the refusal of a second line.
    static func read(_ path: String, option: String, what: String, why: String = "", warnings: Warnings) throws(Failure) -> String {
        // A secret is short: read at most 64 KiB, so that a wrong path (/dev/zero) cannot fill memory.
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.read(upToCount: 1 << 16) ?? Data() else {
            throw .usage("\(option) \(path): cannot read it; check the path and its permissions")
        }
        try? handle.close()
        guard data.count < 1 << 16 else {
            throw .usage("\(option) \(path) is 64 KiB or more: that is not a secret file; check the path")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw .usage("\(option) \(path): not UTF-8 text")
        }
        if text.hasSuffix("\r\n") { text.removeLast(1) } else if text.hasSuffix("\n") { text.removeLast() }
        // "\r\n" is one Character in Swift: the CRLF above went as a whole.
        guard !text.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else {
            throw .usage("\(option) \(path) holds more than one line: write \(what) alone on the first line\(why)")
        }
        guard !text.isEmpty else {
            throw .usage("\(option) \(path) is empty: write \(what) in it")
        }
        warnIfReadable(path, option: option, warnings: warnings)
        return text
    }

    /// Warns when other users can read `path` (a secret or a private key): anyone (mode o+r), or
    /// a group other than the one phs-check runs as (root:phs-check 0640 is the way to share it).
    static func warnIfReadable(_ path: String, option: String, warnings: Warnings) {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        if info.st_mode & 0o004 != 0 || (info.st_mode & 0o040 != 0 && info.st_gid != getegid()) {
            warnings.add(.passwordFileReadable, "\(option) \(path) can be read by other users (mode \(String(info.st_mode & 0o777, radix: 8))): chmod 600 it, or use a systemd credential (LoadCredential=)")
        }
    }
}
