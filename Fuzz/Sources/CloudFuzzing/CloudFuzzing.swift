// The cloud export and tenant targets: one input read three ways, with invariants.
//
// Input layout: the first byte picks the options and the tiny buffer sizes (`CloudCase`), the
// rest is the file. Tests/CloudExportTests/FuzzRegressionTests.swift decodes the first byte
// the same way to replay Fuzz/Regressions/<target>/; keep the two in step.
import Foundation
import FuzzSupport
import SyncAudit
@testable import CloudExport

/// What the first byte of an input picks.
struct CloudCase {
    /// Bits 0–1: the zone of local times. Bits 2–3: the CSV date form. Bits 4–7: every buffer
    /// and every read of the second and third read is `tiny` bytes (1–16).
    static let zones = ["UTC", nil, "Europe/Amsterdam", "+05:30"]
    static let dateForms = [nil, nil, "dd-MM-yyyy HH:mm:ss", "M/d/yyyy h:mm:ss tt"]

    var options: CloudReadOptions
    var tiny: Int

    init(_ selector: UInt8, format: CloudFormat) {
        options = CloudReadOptions(format: format)
        options.timeZone = Self.zones[Int(selector & 3)].flatMap(CloudReadOptions.timeZone(named:))
        options.dateFormat = Self.dateForms[Int(selector >> 2 & 3)].flatMap(DatePattern.init)
        tiny = Int(selector >> 4) + 1
    }

    var buffers: ReadBuffers {
        ReadBuffers(raw: tiny, decoded: tiny, json: tiny, csv: tiny, scratch: tiny)
    }
}

/// A stream that hands out at most `step` bytes per read; a pipe when it cannot rewind.
final class SteppedStream: ByteStream {
    private let bytes: [UInt8]
    private let step: Int
    private let rewindable: Bool
    private var offset = 0

    init(_ bytes: [UInt8], step: Int, rewindable: Bool) {
        self.bytes = bytes
        self.step = max(step, 1)
        self.rewindable = rewindable
    }

    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(IOFault) -> Int {
        let n = min(count, step, bytes.count - offset)
        if n > 0 {
            bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
            offset += n
        }
        return n
    }

    func rewind() -> Bool {
        guard rewindable else { return false }
        offset = 0
        return true
    }
}

/// What one read gives.
enum Outcome: Equatable {
    case read([CloudUser], CloudExportSummary)
    case failed(CloudExportError)
}

/// The name the inputs are read under; every error must name it.
let exportName = "fuzz/export.in"
let tenantName = "fuzz/tenant.in"

func read(_ stream: any ByteStream, options: CloudReadOptions, buffers: ReadBuffers = ReadBuffers()) -> Outcome {
    var users: [CloudUser] = []
    do {
        let summary = try CloudExportReader.read(stream: stream, name: exportName, options: options, buffers: buffers) {
            users.append($0)
        }
        return .read(users, summary)
    } catch let error as CloudExportError {
        return .failed(error)
    } catch {
        fatalError("the reader threw \(type(of: error)), not CloudExportError: \(error)")
    }
}

/// The checks every `CloudExportError` must pass: it names the file, says what is wrong, and
/// its place lies in the input.
func checkError(_ error: CloudExportError, name: String, size: Int) {
    invariant(!error.problem.isEmpty, "an error without a problem: \(error.kind)")
    invariant(error.description.hasPrefix(name + ":"), "the error does not name the file first: \(error.description)")
    invariant(error.kind != .invalidOption, "a valid option set was refused: \(error)")
    if let line = error.line { invariant(line >= 1, "line \(line): \(error)") }
    if let column = error.column { invariant(column >= 1, "column \(column): \(error)") }
    if let byte = error.byteOffset { invariant((0...size).contains(byte), "byte \(byte) of \(size): \(error)") }
}

/// The default read, the same read with tiny buffers from a file, and from a pipe (recorded
/// and replayed) must give the same users and summary, or the same error.
public func fuzzExport(_ input: [UInt8], format: CloudFormat) {
    let (selector, text) = selector(input)
    let c = CloudCase(selector, format: format)
    let expected = read(MemoryStream(text), options: c.options)

    switch expected {
    case .failed(let error):
        checkError(error, name: exportName, size: text.count)
    case .read(let users, let summary):
        invariant(!users.isEmpty, "a read without users did not throw: \(summary)")
        invariant(summary.users == users.count, "summary counts \(summary.users), \(users.count) handed over")
        invariant(summary.source == exportName, "summary source \(summary.source)")
        invariant(summary.format != .auto && (format == .auto || summary.format == format),
                  "asked for \(format), read \(summary.format)")
        invariant(["UTF-8", "UTF-8 with BOM", "UTF-16LE", "UTF-16BE"].contains(summary.encoding), "encoding \(summary.encoding)")
        let present = users.reduce(into: Set<CloudUserField>()) { $0.formUnion(CloudUserField.present(in: $1)) }
        // The JSON reader counts onPremisesProvisioningErrors as present when the key was
        // exported at all (even `[]` or null); every other field must match what users carry.
        let listed = summary.fieldsPresent.subtracting([.onPremisesProvisioningErrors])
        invariant(listed == present.subtracting([.onPremisesProvisioningErrors]) && summary.fieldsPresent.isSuperset(of: present),
                  "fields \(summary.fieldsPresent) but users carry \(present)")
        let newest = users.flatMap { [$0.lastPasswordChangeDateTime, $0.onPremisesLastSyncDateTime] }.compactMap { $0 }.max()
        invariant(summary.newestTimestamp == newest, "newest \(String(describing: summary.newestTimestamp)), users' \(String(describing: newest))")
        for user in users {
            invariant(user.id != nil || user.userPrincipalName != nil, "a user without id and userPrincipalName")
            // Every report writes these times; writing one must not trap.
            for date in [user.lastPasswordChangeDateTime, user.onPremisesLastSyncDateTime].compactMap({ $0 }) {
                invariant(!Timestamp.format(date).isEmpty, "a time with no text")
            }
        }
    }

    let file = read(SteppedStream(text, step: c.tiny, rewindable: true), options: c.options, buffers: c.buffers)
    invariant(file == expected, "a file read \(c.tiny) bytes at a time differs:\n  \(file)\ninstead of\n  \(expected)")
    let pipe = read(RecordingStream(SteppedStream(text, step: c.tiny, rewindable: false)), options: c.options, buffers: c.buffers)
    invariant(pipe == expected, "a pipe read \(c.tiny) bytes at a time differs:\n  \(pipe)\ninstead of\n  \(expected)")
}

/// The tenant file from memory and from a stream cut into `1 + (first byte & 15)`-byte reads:
/// the same facts or the same error, which names the file.
public func fuzzTenant(_ input: [UInt8]) {
    let (selector, text) = selector(input)
    func read(_ stream: any ByteStream) -> Result<TenantFacts, CloudExportError> {
        do {
            return .success(try TenantFactsReader.read(stream: stream, name: tenantName))
        } catch {
            return .failure(error)
        }
    }
    let expected = read(MemoryStream(text))
    switch expected {
    case .failure(let error):
        checkError(error, name: tenantName, size: text.count)
    case .success(let facts):
        for date in [facts.lastPasswordSyncDateTime, facts.lastDirSyncDateTime].compactMap({ $0 }) {
            invariant(!Timestamp.format(date).isEmpty, "a time with no text")
        }
    }
    let stepped = read(SteppedStream(text, step: Int(selector & 15) + 1, rewindable: false))
    invariant(stepped == expected, "a read \(Int(selector & 15) + 1) bytes at a time differs: \(stepped) instead of \(expected)")
}

/// The most a fuzzed gzip input may decompress to: a bomb is refused here, quickly.
let gzipLimit = 1 << 20

/// `stream` detected as gzip and decompressed whole, reading `count` bytes at a time; empty
/// when it is not gzip.
func gunzip(_ stream: any ByteStream, buffers: ReadBuffers = ReadBuffers(), count: Int = 1 << 16) -> Result<[UInt8], IOFault> {
    do {
        let decoded = try Gzip.decompressing(stream, name: "fuzz.gz", limit: gzipLimit, buffers: buffers)
        guard let gzip = decoded as? GzipStream else { return .success([]) }
        return drain(gzip, count: count)
    } catch {
        return .failure(error)
    }
}

/// Everything `gzip` still gives, read `count` bytes at a time.
func drain(_ gzip: GzipStream, count: Int = 1 << 16) -> Result<[UInt8], IOFault> {
    var out: [UInt8] = []
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 8)
    defer { buffer.deallocate() }
    do {
        while true {
            let n = try gzip.read(into: buffer, count: count)
            if n == 0 { return .success(out) }
            invariant(n <= count, "a read gave \(n) bytes for \(count)")
            out.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: n))
        }
    } catch {
        return .failure(error)
    }
}

/// The decoder gives the same bytes, or the same fault, at the default sizes, with reads of a
/// few bytes in and out and a tiny decoding step, and after a rewind; a fault is a gzip fault
/// with a message and a fix; the output never passes the limit.
/// Selector: bits 0–3 the read sizes (1–16), bits 4–7 the decoding step (1–16).
public func fuzzGzip(_ input: [UInt8]) {
    let (selector, data) = selector(input)
    let step = Int(selector & 15) + 1
    let inflated = Int(selector >> 4) + 1
    let expected = gunzip(MemoryStream(data))
    switch expected {
    case .success(let out):
        invariant(out.count <= gzipLimit, "\(out.count) bytes decoded, past the limit")
        if !out.isEmpty { invariant(Array(data.prefix(3)) == Gzip.magic, "bytes decoded from no gzip") }
    case .failure(let fault):
        invariant(fault.kind == .compressed, "a fault of kind \(fault.kind): \(fault.message)")
        invariant(!fault.message.isEmpty && fault.fix != nil, "a fault without message or fix")
    }
    func same(_ a: Result<[UInt8], IOFault>, _ b: Result<[UInt8], IOFault>) -> Bool {
        switch (a, b) {
        case (.success(let x), .success(let y)): x == y
        case (.failure(let x), .failure(let y)): x.message == y.message && x.kind == y.kind
        default: false
        }
    }
    let tiny = gunzip(SteppedStream(data, step: step, rewindable: false),
                      buffers: ReadBuffers(compressed: step, inflated: inflated), count: step)
    invariant(same(tiny, expected), "read \(step) bytes at a time, step \(inflated): \(tiny) instead of \(expected)")

    // Rewound after a full read, the same stream decodes the same again.
    if let stream = try? Gzip.decompressing(SteppedStream(data, step: 1 << 16, rewindable: true), name: "fuzz.gz",
                                            limit: gzipLimit) as? GzipStream {
        _ = try? stream.verifyRest()
        invariant(stream.rewind(), "a rewindable stream did not rewind")
        let again = drain(stream)
        invariant(same(again, expected), "after a rewind: \(again) instead of \(expected)")
    }
}
