import Foundation
import SyncAudit
import Testing
@testable import CloudExport

/// Compressed exports (docs/FORMATS.md "Compressed exports"): .gz files made at test time with
/// the gzip command decode to the original bytes, every format reads from them as from the
/// plain file, and damaged, cut-off or oversized ones are refused with what is wrong.
@Suite("Compressed exports (gzip)")
struct GzipTests {
    // MARK: Helpers

    /// A temporary directory, removed with the value.
    final class Scratch {
        let url: URL

        init() throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("phs-check-gzip-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }

        deinit {
            try? FileManager.default.removeItem(at: url)
        }

        func path(_ name: String) -> String { url.appendingPathComponent(name).path }

        func write(_ name: String, _ bytes: [UInt8]) throws -> String {
            let p = path(name)
            try Data(bytes).write(to: URL(fileURLWithPath: p))
            return p
        }

        func read(_ name: String) -> [UInt8] {
            Array(FileManager.default.contents(atPath: path(name)) ?? Data())
        }
    }

    struct CommandFailed: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `command` with /bin/sh in `directory`; throws when it fails.
    static func sh(_ command: String, in directory: Scratch) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = directory.url
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CommandFailed(description: "\(command): exit \(process.terminationStatus)") }
    }

    /// `bytes` compressed by the gzip command with `options`, read from standard input (so the
    /// header has no name).
    static func gzip(_ bytes: [UInt8], _ options: String = "") throws -> [UInt8] {
        let dir = try Scratch()
        _ = try dir.write("in", bytes)
        try sh("gzip \(options) -c < in > out", in: dir)
        return dir.read("out")
    }

    /// All of `bytes` decompressed by `GzipStream`, read `step` bytes at a time in reads of
    /// `count`; or the fault, as its message.
    static func gunzip(_ bytes: [UInt8], step: Int = .max, count: Int = 1 << 16, buffers: ReadBuffers = ReadBuffers(),
                       limit: Int = .max) -> Result<[UInt8], IOFault> {
        do {
            let stream = try Gzip.decompressing(CutStream(bytes, step: step), name: "test.gz", limit: limit, buffers: buffers)
            guard stream is GzipStream else { return .failure(IOFault(message: "not read as gzip")) }
            var out: [UInt8] = []
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 8)
            defer { buffer.deallocate() }
            while true {
                let n = try stream.read(into: buffer, count: count)
                if n == 0 { return .success(out) }
                out.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: n))
            }
        } catch {
            return .failure(error)
        }
    }

    static func message(_ result: Result<[UInt8], IOFault>) -> String? {
        if case .failure(let fault) = result { return fault.message }
        return nil
    }

    /// Deterministic pseudo-random bytes (SplitMix64).
    struct Random {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        mutating func bytes(_ n: Int) -> [UInt8] {
            var out = [UInt8]()
            out.reserveCapacity(n + 8)
            while out.count < n { withUnsafeBytes(of: next()) { out += $0 } }
            return Array(out.prefix(n))
        }
    }

    enum Kind: String, CaseIterable, Sendable {
        /// Random bytes: stored blocks.
        case incompressible
        /// Runs and short repeats of a few bytes: long matches at distances 1 to 7 and beyond.
        case repetitive
        /// Lines like an export's: dynamic Huffman blocks, matches at every distance.
        case text
    }

    static func data(_ kind: Kind, _ size: Int, seed: UInt64) -> [UInt8] {
        var random = Random(state: seed)
        switch kind {
        case .incompressible:
            return random.bytes(size)
        case .repetitive:
            var out: [UInt8] = []
            out.reserveCapacity(size)
            while out.count < size {
                let r = random.next()
                let period = Int(r % 9) + 1
                let pattern = (0..<period).map { UInt8(truncatingIfNeeded: r >> (8 + 4 * UInt64($0))) & 0x3 }
                for i in 0..<Int((r >> 48) % 2000) + 1 { out.append(pattern[i % period]) }
            }
            return Array(out.prefix(size))
        case .text:
            var out: [UInt8] = []
            out.reserveCapacity(size + 200)
            while out.count < size {
                let r = random.next()
                out += Array(#"{"id":"\#(r % 100_000)","userPrincipalName":"user\#(r % 9973)@contoso.com","accountEnabled":\#(r & 1 == 0)}"#.utf8)
                out.append(0x0A)
            }
            return Array(out.prefix(size))
        }
    }

    static let utc = CloudReadOptions(timeZone: TimeZone(identifier: "UTC"))

    // MARK: The decoder

    @Test("CRC-32 of the check string, and in pieces")
    func crc32() {
        let check = Array("123456789".utf8)
        #expect(CRC32.update(0, check) == 0xCBF4_3926)
        #expect(CRC32.update(CRC32.update(0, Array(check.prefix(4))), Array(check.dropFirst(4))) == 0xCBF4_3926)
        var random = Random(state: 7)
        let long = random.bytes(1000)
        var piecewise: UInt32 = 0
        for chunk in stride(from: 0, to: long.count, by: 13) { piecewise = CRC32.update(piecewise, Array(long[chunk..<min(chunk + 13, long.count)])) }
        #expect(piecewise == CRC32.update(0, long))
    }

    @Test("Random data of many sizes round-trips through the gzip command at levels 1, 6 and 9",
          arguments: Kind.allCases)
    func roundTrip(_ kind: Kind) throws {
        let sizes = [0, 1, 2, 257, 32_767, 32_768, 32_769, 65_539, 200_000, 1_500_000]
        for (n, size) in sizes.enumerated() {
            let original = Self.data(kind, size, seed: UInt64(n) * 31 + 1)
            for level in ["-1", "-6", "-9"] {
                let compressed = try Self.gzip(original, level)
                let decoded = Self.gunzip(compressed)
                #expect(try decoded.get() == original, "\(kind) \(size) bytes, gzip \(level): \(String(describing: Self.message(decoded)))")
                if size <= 70_000 {
                    // Reads of a few bytes, a tiny input buffer, output handed over a few bytes at a time.
                    let tiny = Self.gunzip(compressed, step: 3, count: 5, buffers: ReadBuffers(compressed: 7, inflated: 11))
                    #expect(try tiny.get() == original, "\(kind) \(size) bytes, gzip \(level), tiny buffers")
                }
            }
        }
    }

    @Test("Stored, fixed and dynamic Huffman blocks each occur, and decode")
    func blockTypes() throws {
        // A gzip header without a name is 10 bytes; the first block's type is bits 1–2 of byte 10.
        func firstBlockType(_ gz: [UInt8]) -> UInt8 { (gz[10] >> 1) & 3 }
        let samples: [(UInt8, [UInt8])] = [
            (0, Self.data(.incompressible, 100_000, seed: 3)),
            (1, Array("hello, hello, hello".utf8)),
            (2, Self.data(.text, 100_000, seed: 4)),
        ]
        for (type, original) in samples {
            let gz = try Self.gzip(original)
            #expect(firstBlockType(gz) == type)
            #expect(try Self.gunzip(gz).get() == original)
        }
    }

    @Test("Members one after another (cat a.gz b.gz) decode to the bytes one after another, an empty member too")
    func concatenatedMembers() throws {
        let a = Self.data(.text, 50_000, seed: 5)
        let b = Self.data(.incompressible, 40_000, seed: 6)
        let c = Self.data(.repetitive, 70_000, seed: 7)
        let joined = try Self.gzip(a, "-1") + Self.gzip([]) + Self.gzip(b, "-9") + Self.gzip(c)
        #expect(try Self.gunzip(joined).get() == a + b + c)
        #expect(try Self.gunzip(joined, step: 5, count: 7, buffers: ReadBuffers(compressed: 3, inflated: 13)).get() == a + b + c)
        // Zero bytes after the last member are allowed, as gzip allows them.
        #expect(try Self.gunzip(joined + [0, 0, 0, 0]).get() == a + b + c)
    }

    @Test("A header with a name, as gzip writes it for a file")
    func nameInHeader() throws {
        let dir = try Scratch()
        let original = Self.data(.text, 20_000, seed: 8)
        _ = try dir.write("users.json", original)
        try Self.sh("gzip users.json", in: dir)
        let gz = dir.read("users.json.gz")
        #expect(gz[3] & 0x08 != 0, "FNAME is set")
        #expect(try Self.gunzip(gz).get() == original)
    }

    /// `gz` (a header without optional fields) with FEXTRA, FNAME, FCOMMENT and FHCRC added.
    static func withEveryHeaderField(_ gz: [UInt8], headerCRC: UInt16? = nil) -> [UInt8] {
        var header: [UInt8] = [0x1F, 0x8B, 0x08, 0x04 | 0x08 | 0x10 | 0x02] + gz[4..<10]
        let extra: [UInt8] = [0x41, 0x70, 4, 0, 1, 2, 3, 4]  // one subfield "Ap", 4 bytes
        header += [UInt8(extra.count), 0] + extra
        header += Array("users.json".utf8) + [0]
        header += Array("exported by Get-MgUser".utf8) + [0]
        let crc = headerCRC ?? UInt16(truncatingIfNeeded: CRC32.update(0, header))
        header += [UInt8(crc & 0xFF), UInt8(crc >> 8)]
        return header + gz[10...]
    }

    @Test("FEXTRA, FNAME, FCOMMENT and FHCRC are read past, and the header's CRC-16 is checked")
    func everyHeaderField() throws {
        let original = Self.data(.text, 10_000, seed: 9)
        let gz = try Self.gzip(original)
        #expect(gz[3] == 0)
        let full = Self.withEveryHeaderField(gz)
        #expect(try Self.gunzip(full).get() == original)
        #expect(try Self.gunzip(full, step: 1, count: 3, buffers: ReadBuffers(compressed: 1, inflated: 1)).get() == original)
        let right = UInt16(truncatingIfNeeded: CRC32.update(0, Array(full.prefix(full.count - gz.count + 10 - 2))))
        let wrong = Self.withEveryHeaderField(gz, headerCRC: right ^ 0x0100)
        #expect(Self.message(Self.gunzip(wrong))?.contains("the gzip header's CRC-16 does not match: the file is damaged") == true)
    }

    @Test("An empty file, compressed, decodes to nothing and reads as the empty file does")
    func emptyFile() throws {
        let gz = try Self.gzip([])
        #expect(try Self.gunzip(gz).get() == [])
        let plain = try #require(readError([UInt8](), name: "users.json"))
        let compressed = try #require(readError(gz, name: "users.json"))
        #expect(compressed == plain)
        #expect(compressed.description.contains("the file is empty"))
    }

    // MARK: Every export format, compressed

    static let exports: [(file: String, timeZone: Bool)] =
        FormatTests.cases.map { ($0.file, $0.timeZone) } + [("valid/msol-csv-en-us.csv", true)]

    @Test("Every export format reads from .gz to the same users and summary as from the plain file")
    func everyFormat() throws {
        let dir = try Scratch()
        for (file, timeZone) in Self.exports {
            let options = CloudReadOptions(timeZone: timeZone ? amsterdam : nil)
            let name = URL(fileURLWithPath: file).lastPathComponent
            let plainPath = try dir.write(name, Fixture.bytes(file))
            try Self.sh("gzip -k \(name)", in: dir)  // a file's name goes into the header (FNAME)
            let gzPath = dir.path(name + ".gz")
            let plain = try CloudExportReader.readAll(path: plainPath, options: options)
            let compressed = try CloudExportReader.readAll(path: gzPath, options: options)
            #expect(compressed.users == plain.users, "\(file)")
            var summary = compressed.summary
            summary.source = plainPath
            #expect(summary == plain.summary, "\(file)")

            // From standard input (a CSV is held in memory and read twice), read a few bytes at a time.
            let gz = dir.read(name + ".gz")
            let piped = TinyBufferTests.read(RecordingStream(TrickleStream(gz, step: 3)), name: "-", options: options)
            let plainPiped = TinyBufferTests.read(RecordingStream(TrickleStream(Fixture.bytes(file), step: 3)), name: "-",
                                                  options: options)
            #expect(piped == plainPiped, "\(file) on standard input")
            // Every buffer tiny, the gzip decoder's too.
            let sizes = ReadBuffers(raw: 5, decoded: 4, json: 7, csv: 7, scratch: 3, compressed: 2, inflated: 3)
            let tiny = TinyBufferTests.read(CutStream(gz, step: 1), name: "-", options: options, buffers: sizes)
            #expect(tiny == plainPiped, "\(file) in tiny buffers")
        }
    }

    @Test("Each faulty export gives the same error, at the same line and column, compressed or not")
    func sameErrors() throws {
        let folder = Fixture.root.appendingPathComponent("errors")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(names.count > 10)
        let dir = try Scratch()
        for name in names {
            let plainPath = try dir.write(name, Fixture.bytes("errors/" + name))
            try Self.sh("gzip -k \(name)", in: dir)
            func error(_ path: String) -> CloudExportError? {
                do {
                    _ = try CloudExportReader.readAll(path: path, options: CloudReadOptions(timeZone: amsterdam))
                    return nil
                } catch {
                    return error
                }
            }
            let plain = try #require(error(plainPath), "\(name)")
            var compressed = try #require(error(plainPath + ".gz"), "\(name).gz")
            #expect(compressed.file == plainPath + ".gz")
            compressed.file = plainPath
            #expect(compressed == plain, "\(name)")
        }
    }

    @Test("Members one after another read as the whole export")
    func exportInMembers() throws {
        let lines = String(decoding: Fixture.bytes("valid/graph-users.jsonl"), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let half = lines.count / 2
        let first = Array(lines[..<half].joined(separator: "\n").utf8) + [0x0A]
        let second = Array(lines[half...].joined(separator: "\n").utf8)
        let joined = try Self.gzip(first) + Self.gzip(second, "-9")
        let (users, summary) = try readUsers(joined, name: "users.jsonl.gz")
        #expect(users == Expected.users)
        #expect(summary.variant == "JSON Lines (one user per line)")
    }

    @Test("A compressed tenant file reads as the plain one")
    func tenantFile() throws {
        let dir = try Scratch()
        for name in ["tenant-both.json", "tenant-powershell.json", "organization.json"] {
            let plain = try dir.write(name, Fixture.bytes("tenant/" + name))
            try Self.sh("gzip -k \(name)", in: dir)
            #expect(try TenantFactsReader.read(path: plain + ".gz") == TenantFactsReader.read(path: plain), "\(name)")
        }
    }

    @Test("A gzip file is found by its bytes whatever its name; a .gz name alone is not enough")
    func detection() throws {
        let json = Fixture.bytes("valid/graph-response.json")
        let gz = try Self.gzip(json, "-9")
        #expect(try readUsers(gz, name: "users.json", options: Self.utc).0 == Expected.users)
        #expect(try readUsers(gz, name: "-", options: Self.utc).0 == Expected.users)

        let notGzip = try #require(readError(json, name: "users.json.gz"))
        #expect(notGzip.kind == .compressed)
        #expect(notGzip.description.contains("users.json.gz: the file is named .gz but is not gzip data"))
        #expect(readError([UInt8](), name: "users.json.GZ")?.description.contains("is named .gz but is empty") == true)

        var otherMethod = gz
        otherMethod[2] = 7
        #expect(readError(otherMethod, name: "users.json")?.description.contains("compressed with method 7; gzip has only deflate (8)") == true)
    }

    // MARK: Refused

    @Test("A .gz cut off anywhere is refused: the gzip data ends early")
    func truncated() throws {
        let gz = try Self.gzip(Fixture.bytes("valid/graph-response.json"))
        for cut in 1..<gz.count {
            let error = try #require(readError(Array(gz.prefix(cut)), name: "users.json.gz", options: Self.utc), "cut at \(cut)")
            #expect(error.kind == .compressed, "cut at \(cut): \(error)")
            #expect(error.description.hasPrefix("users.json.gz: the gzip data ends early"), "cut at \(cut): \(error)")
            #expect(error.fix != nil)
        }
        #expect(readError([UInt8](), name: "users.json.gz")?.kind == .compressed)
    }

    @Test("A wrong CRC-32 or length in the trailer is refused")
    func trailer() throws {
        let gz = try Self.gzip(Fixture.bytes("valid/graph-response.json"))
        var crc = gz
        crc[gz.count - 8] ^= 0x01
        let crcError = try #require(readError(crc, name: "users.json.gz", options: Self.utc))
        #expect(crcError.kind == .compressed)
        #expect(crcError.description.hasPrefix("users.json.gz: CRC-32 mismatch: the file is damaged"))
        #expect(crcError.description.hasSuffix("Copy or download the file again, or take the export again and compress it with gzip."))

        var size = gz
        size[gz.count - 4] &+= 1
        let sizeError = try #require(readError(size, name: "users.json.gz", options: Self.utc))
        #expect(sizeError.kind == .compressed)
        #expect(sizeError.description.contains("length mismatch: the file is damaged"))
    }

    @Test("A flipped bit anywhere after the header is refused, or changes nothing (unused bits)")
    func bitFlips() throws {
        let original = Self.data(.text, 3000, seed: 10) + Self.data(.repetitive, 1000, seed: 11)
        let gz = try Self.gzip(original)
        var refused = 0
        for offset in 10..<gz.count {
            for bit in 0..<8 {
                var damaged = gz
                damaged[offset] ^= 1 << bit
                switch Self.gunzip(damaged, limit: 1 << 20) {
                case .success(let decoded):
                    #expect(decoded == original, "byte \(offset) bit \(bit) decodes to other bytes")
                case .failure(let fault):
                    #expect(fault.kind == .compressed, "byte \(offset) bit \(bit): \(fault.message)")
                    refused += 1
                }
            }
        }
        #expect(refused > (gz.count - 10) * 8 - 16)
    }

    @Test("Damage the text's reader would stumble on first is reported as the damage")
    func damageBeforeTheReaderNoticesIt() throws {
        // A stored block holds the text as it is: change one byte of it and the JSON breaks
        // before the trailer's CRC-32 is read.
        let json = Fixture.bytes("valid/graph-response.json")
        let gz = try Self.gzip(json, "-1")
        var stored: [UInt8] = Array(gz.prefix(10))
        stored += [0x01, UInt8(json.count & 0xFF), UInt8(json.count >> 8), ~UInt8(json.count & 0xFF), ~UInt8(json.count >> 8)]
        stored += json
        stored += gz.suffix(8)
        #expect(try readUsers(stored, name: "users.json.gz", options: Self.utc).0 == Expected.users)
        stored[15] = UInt8(ascii: "x")
        let error = try #require(readError(stored, name: "users.json.gz", options: Self.utc))
        #expect(error.description.hasPrefix("users.json.gz: CRC-32 mismatch"), "\(error)")
    }

    @Test("Damaged headers and data after the last member are refused")
    func damagedFraming() throws {
        let gz = try Self.gzip(Fixture.bytes("valid/graph-response.json"))
        var reserved = gz
        reserved[3] |= 0x20
        #expect(Self.message(Self.gunzip(reserved))?.contains("reserved flag bits") == true)
        var blockType = gz
        blockType[10] |= 0x06
        #expect(Self.message(Self.gunzip(blockType))?.contains("a block of type 3") == true)
        let garbage = try #require(readError(gz + Array("tail".utf8), name: "users.json.gz", options: Self.utc))
        #expect(garbage.description.contains("the file holds bytes that are not gzip"), "\(garbage)")
        #expect(Self.message(Self.gunzip(gz + [0, 0, 1]))?.contains("bytes that are not gzip") == true)
        #expect(Self.message(Self.gunzip(gz + [0x1F]))?.contains("ends early") == true)
    }

    @Test("A fault reads the same at every buffer size")
    func faultsAtEverySize() throws {
        let gz = try Self.gzip(Self.data(.text, 5000, seed: 12))
        var inputs: [[UInt8]] = [Array(gz.prefix(gz.count / 2)), Array(gz.prefix(gz.count - 3))]
        for offset in stride(from: 12, to: gz.count - 8, by: 37) {
            var damaged = gz
            damaged[offset] ^= 0x10
            inputs.append(damaged)
        }
        for input in inputs {
            let expected = Self.message(Self.gunzip(input))
            for n in [1, 2, 3, 7, 16] {
                let tiny = Self.message(Self.gunzip(input, step: n, count: n, buffers: ReadBuffers(compressed: n, inflated: n)))
                #expect(tiny == expected, "reads of \(n)")
            }
        }
    }

    @Test("A decompression bomb is refused once the text passes --max-input-size, without holding it")
    func bomb() throws {
        let dir = try Scratch()
        try Self.sh("head -c 67108864 /dev/zero | gzip -9 -c > zeros.gz", in: dir)
        try Self.sh(#"(printf '{"value":['; head -c 67108864 /dev/zero | tr '\0' ' ') | gzip -9 -c > spaces.json.gz"#, in: dir)
        var options = Self.utc
        options.limits = InputLimits(maxRecordSize: 1 << 20, maxInputSize: 1 << 20)
        for name in ["zeros.gz", "spaces.json.gz"] {
            #expect(try FileManager.default.attributesOfItem(atPath: dir.path(name))[.size] as? Int ?? 0 < 200_000)
            let error = try #require(readError(dir.read(name), name: name, options: options), "\(name)")
            #expect(error.kind == .compressed)
            #expect(error.description.hasPrefix("\(name): it decompresses to more than --max-input-size 1 MiB"), "\(error)")
        }

        // The stream stops where the data crosses the limit.
        let stream = try Gzip.decompressing(MemoryStream(dir.read("zeros.gz")), name: "zeros.gz", limit: 1 << 20)
        let gzip = try #require(stream as? GzipStream)
        #expect(throws: IOFault.self) { try gzip.verifyRest() }
        #expect(gzip.total <= (1 << 20) + 258)

        // Exactly the limit is allowed.
        let exact = Self.data(.text, 100_000, seed: 13)
        #expect(try Self.gunzip(try Self.gzip(exact), limit: 100_000).get() == exact)
        #expect(Self.message(Self.gunzip(try Self.gzip(exact), limit: 99_999))?.contains("more than --max-input-size") == true)

        // The tenant file too.
        let limits = InputLimits(maxRecordSize: 1 << 20, maxInputSize: 1 << 20)
        #expect {
            _ = try TenantFactsReader.read(path: dir.path("spaces.json.gz"), limits: limits)
        } throws: { error in
            (error as? CloudExportError)?.description.contains("decompresses to more than --max-input-size 1 MiB") == true
        }
    }

    @Test("Arbitrary bytes after the gzip magic never crash the decoder")
    func arbitraryBytes() {
        var random = Random(state: 14)
        for n in 0..<3000 {
            let body = random.bytes(Int(random.next() % 200))
            var input = Gzip.magic + [UInt8(random.next() % 4 == 0 ? random.next() & 0x1E : 0)] + [0, 0, 0, 0, 0, 3] + body
            if n % 3 == 0 { input += random.bytes(8) }
            switch Self.gunzip(input, limit: 1 << 20) {
            case .success: break
            case .failure(let fault): #expect(fault.kind == .compressed, "\(fault.message)")
            }
        }
    }
}
