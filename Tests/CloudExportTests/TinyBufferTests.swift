import Foundation
import SyncAudit
import Testing
@testable import CloudExport

/// Every buffer shrunk to a few bytes, and reads cut anywhere: the refill paths of every layer
/// (raw bytes, decoding, the JSON lexer and its scratch, the CSV scanner) must read exactly
/// what the default sizes read — the same users and summary, or the same error.
@Suite("Tiny buffers read the same as the default ones")
struct TinyBufferTests {
    /// The sizes of one read: every buffer, and the most bytes one read of the stream gives.
    struct Sizes: CustomStringConvertible, Sendable {
        var raw: Int
        var decoded: Int
        var text: Int
        var scratch: Int
        var step: Int

        var buffers: ReadBuffers {
            ReadBuffers(raw: raw, decoded: decoded, json: text, csv: text, scratch: scratch)
        }

        var description: String { "raw \(raw), decoded \(decoded), text \(text), scratch \(scratch), reads of \(step)" }

        /// Every layer at `n` (sizes below a layer's minimum are raised to it).
        static func all(_ n: Int) -> Sizes { Sizes(raw: n, decoded: n, text: n, scratch: n, step: n) }
    }

    /// 1 to 16 bytes everywhere, then odd sizes that differ from layer to layer.
    static let sizes: [Sizes] = (1...16).map(Sizes.all) + [
        Sizes(raw: 3, decoded: 5, text: 7, scratch: 13, step: 1),
        Sizes(raw: 5, decoded: 13, text: 3, scratch: 7, step: 2),
        Sizes(raw: 13, decoded: 7, text: 5, scratch: 3, step: 5),
        Sizes(raw: 7, decoded: 3, text: 13, scratch: 5, step: 3),
        Sizes(raw: 4, decoded: 4, text: 4, scratch: 1, step: 4096),
        Sizes(raw: 1 << 16, decoded: 4096, text: 4, scratch: 1, step: 7),
    ]

    /// What one read gives: the users and the summary, or the error.
    enum Outcome: Equatable, CustomStringConvertible {
        case read([CloudUser], CloudExportSummary)
        case failed(CloudExportError)

        var description: String {
            switch self {
            case .read(let users, let summary): "\(users.count) users, \(summary.variant)"
            case .failed(let error): error.description
            }
        }

        var users: [CloudUser]? {
            if case .read(let users, _) = self { return users }
            return nil
        }
    }

    static func read(_ stream: any ByteStream, name: String, options: CloudReadOptions,
                     buffers: ReadBuffers = ReadBuffers()) -> Outcome {
        var users: [CloudUser] = []
        do {
            let summary = try CloudExportReader.read(stream: stream, name: name, options: options, buffers: buffers) {
                users.append($0)
            }
            return .read(users, summary)
        } catch let error as CloudExportError {
            return .failed(error)
        } catch {
            preconditionFailure("only CloudExportError can be thrown here: \(error)")
        }
    }

    /// Reads `bytes` at the default sizes, then at every tiny size both as a file (cut reads,
    /// rewindable) and as standard input (cut reads, recorded and replayed), and with one
    /// read cut at every offset; each must give what the default gives, which is returned.
    @discardableResult
    static func sameAtEverySize(_ bytes: [UInt8], name: String, options: CloudReadOptions,
                                everyCut: Bool = false) -> Outcome {
        let expected = read(MemoryStream(bytes), name: name, options: options)
        for s in sizes {
            let file = read(CutStream(bytes, step: s.step), name: name, options: options, buffers: s.buffers)
            #expect(file == expected, "\(name) as a file, \(s): \(file) instead of \(expected)")
            let pipe = read(RecordingStream(TrickleStream(bytes, step: s.step)), name: name, options: options,
                            buffers: s.buffers)
            #expect(pipe == expected, "\(name) as standard input, \(s): \(pipe) instead of \(expected)")
        }
        if everyCut {
            for cut in 1..<max(bytes.count, 1) {
                let got = read(CutStream(bytes, cuts: [cut]), name: name, options: options)
                #expect(got == expected, "\(name) cut at byte \(cut): \(got) instead of \(expected)")
            }
        }
        return expected
    }

    static func fixtures(_ folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Fixture.path(folder))) ?? []
        return names.sorted().map { "\(folder)/\($0)" }
    }

    // MARK: Fixtures

    @Test func everyFixtureFolderIsFound() {
        #expect(Self.fixtures("valid").count >= 14)
        #expect(Self.fixtures("errors").count >= 19)
    }

    @Test(arguments: fixtures("valid"))
    func validFixture(_ file: String) {
        let outcome = Self.sameAtEverySize(Fixture.bytes(file), name: file, options: CloudReadOptions(timeZone: amsterdam))
        #expect(outcome.users?.count == 4, "\(outcome)")
    }

    @Test(arguments: fixtures("errors"))
    func errorFixture(_ file: String) {
        let outcome = Self.sameAtEverySize(Fixture.bytes(file), name: file, options: CloudReadOptions(timeZone: amsterdam))
        #expect(outcome.users == nil, "\(file) was read: \(outcome)")
    }

    /// The error of a date without a zone, found after the header.
    @Test(arguments: ["valid/mg-csv-en-us.csv", "valid/msol-csv-en-us.csv"])
    func missingTimeZone(_ file: String) {
        let outcome = Self.sameAtEverySize(Fixture.bytes(file), name: file, options: CloudReadOptions())
        guard case .failed(let error) = outcome else { Issue.record("\(file) was read: \(outcome)"); return }
        #expect(error.kind == .missingTimeZone)
    }

    // MARK: Reads split inside a token or a character

    static let utc = CloudReadOptions(timeZone: TimeZone(identifier: "UTC"))

    /// A JSON user with these texts as its DN, then a second user.
    static func json(dn: String) -> String {
        """
        {"value":[{"id":"1","userPrincipalName":"zoe@contoso.com","onPremisesDistinguishedName":"\(dn)",\
        "lastPasswordChangeDateTime":"2024-03-04T05:06:07Z"},
        {"id":"2","userPrincipalName":"bob@contoso.com","accountEnabled":false}]}

        """
    }

    /// The DN the first user reads with, checked at every size.
    static func firstDN(_ bytes: [UInt8], name: String = "split.json", options: CloudReadOptions = utc) -> String? {
        let outcome = sameAtEverySize(bytes, name: name, options: options, everyCut: true)
        #expect(outcome.users?.count == 2, "\(outcome)")
        return outcome.users?.first?.onPremisesDistinguishedName
    }

    @Test func jsonStringSplitAcrossReads() {
        let dn = "CN=" + String(repeating: "Long Name ", count: 12) + ",OU=Staff,DC=contoso,DC=com"
        #expect(Self.firstDN(Array(Self.json(dn: dn).utf8)) == dn)
    }

    @Test(arguments: ["Zoë", "日本", "😀", "Zoë 日本 😀 é😀日"])
    func multiByteUTF8SplitAcrossReads(_ name: String) {
        let dn = "CN=\(name),OU=Staff"
        #expect(Self.firstDN(Array(Self.json(dn: dn).utf8)) == dn)
        #expect(Self.firstDN([0xEF, 0xBB, 0xBF] + Array(Self.json(dn: dn).utf8)) == dn)
    }

    /// UTF-16 with and without a byte order mark, the emoji a surrogate pair.
    @Test(arguments: [true, false], [true, false])
    func utf16SurrogatePairSplitAcrossReads(littleEndian: Bool, bom: Bool) {
        let dn = "CN=Smile 😀 Zoë 日本,OU=Staff"
        var bytes: [UInt8] = bom ? (littleEndian ? [0xFF, 0xFE] : [0xFE, 0xFF]) : []
        for unit in Self.json(dn: dn).utf16 {
            let pair = [UInt8(unit & 0xFF), UInt8(unit >> 8)]
            bytes += littleEndian ? pair : pair.reversed()
        }
        #expect(Self.firstDN(bytes) == dn)
    }

    @Test func jsonEscapedSurrogatePairSplitAcrossReads() {
        #expect(Self.firstDN(Array(Self.json(dn: #"CN=Smile \uD83D\uDE00 \u00e9\u65E5,OU=Staff"#).utf8)) == "CN=Smile 😀 é日,OU=Staff")
    }

    /// A minimal Get-MgUser CSV with CRLF line ends; the first user's DN is `dn` as written.
    static func csv(dn: String) -> String {
        "\"Id\",\"UserPrincipalName\",\"LastPasswordChangeDateTime\",\"OnPremisesImmutableId\",\"OnPremisesDistinguishedName\"\r\n"
            + "\"1\",\"zoe@contoso.com\",\"2024-03-04 05:06:07\",\"x\",\(dn)\r\n"
            + "\r\n"
            + "\"2\",\"bob@contoso.com\",\"2024-07-01 08:00:00\",\"y\",\"CN=Bob\"\r\n"
    }

    @Test func csvCRLFSplitAcrossReads() {
        #expect(Self.firstDN(Array(Self.csv(dn: "CN=Zoë 日本 😀").utf8), name: "split.csv") == "CN=Zoë 日本 😀")
        // Unquoted fields, and LF alone.
        let bare = Self.csv(dn: "\"CN=x\"").replacingOccurrences(of: "\"", with: "").replacingOccurrences(of: "\r\n", with: "\n")
        #expect(Self.firstDN(Array(bare.utf8), name: "split.csv") == "CN=x")
    }

    @Test func quotedCSVFieldWithALineBreakSplitAcrossReads() {
        let dn = "CN=Two\r\nLines, \"quoted\"\nand 😀"
        let written = "\"" + dn.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        #expect(Self.firstDN(Array(Self.csv(dn: written).utf8), name: "split.csv") == dn)
    }

    /// Errors after a split line break or character keep their line, column and byte.
    @Test func errorPositionsAfterSplits() {
        let csv = Self.csv(dn: "\"CN=Two\r\nLines 😀\"") + "\"3\",\"carol@contoso.com\"\r\n"
        let outcome = Self.sameAtEverySize(Array(csv.utf8), name: "bad.csv", options: Self.utc, everyCut: true)
        guard case .failed(let error) = outcome else { Issue.record("read: \(outcome)"); return }
        #expect(error.description.contains("line 6"), "\(error)")

        let json = Self.json(dn: "Zoë 😀") + "{\"id\":\"3\",\"x\":\"日本\u{1}\"}"
        let outcome2 = Self.sameAtEverySize(Array(json.utf8), name: "bad.json", options: Self.utc, everyCut: true)
        guard case .failed(let error2) = outcome2 else { Issue.record("read: \(outcome2)"); return }
        #expect(error2.description.contains("line 3, column 22 (byte 249)"), "\(error2)")
    }

    /// Whitespace before the first value is read ahead to tell JSON from CSV; here it is longer than every buffer.
    @Test func leadingWhitespaceLongerThanTheBuffers() {
        let blank = String(repeating: " \r\n\t", count: 10)
        #expect(Self.firstDN(Array((blank + Self.json(dn: "CN=Zoë 😀")).utf8)) == "CN=Zoë 😀")
        let blankLines = String(repeating: "\r\n", count: 20)
        #expect(Self.firstDN(Array((blankLines + Self.csv(dn: "CN=Zoë 😀")).utf8), name: "split.csv") == "CN=Zoë 😀")

        let empty = Self.sameAtEverySize(Array(blank.utf8), name: "blank.json", options: Self.utc, everyCut: true)
        guard case .failed(let error) = empty else { Issue.record("read: \(empty)"); return }
        #expect(error.kind == .empty)
        let invalid = Self.sameAtEverySize(Array(blank.utf8) + [0xC3, 0x28], name: "bad.json", options: Self.utc, everyCut: true)
        guard case .failed(let error2) = invalid else { Issue.record("read: \(invalid)"); return }
        #expect(error2.description.contains("line 11, column 2 (byte 40): byte 0xC3 is not valid UTF-8"), "\(error2)")
    }

    /// Invalid and cut-off characters are found where they are, however the reads fall.
    @Test(arguments: [
        [0x7B, 0x22, 0x69, 0x64, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D],  // {"id":"\xC3(" }
        [0x7B, 0x22, 0x69, 0x64, 0x22, 0x3A, 0x22, 0xF0, 0x9F, 0x98],  // ends inside 😀
        [0xFF, 0xFE, 0x7B, 0x00, 0x22, 0x00, 0x3D, 0xD8, 0x22, 0x00],  // a high surrogate alone
        [0xFE, 0xFF, 0x00, 0x7B, 0x00, 0x22, 0xD8, 0x3D],  // ends inside a surrogate pair
    ] as [[UInt8]])
    func encodingFaults(_ bytes: [UInt8]) {
        let outcome = Self.sameAtEverySize(bytes, name: "bad.json", options: Self.utc, everyCut: true)
        #expect(outcome.users == nil, "\(outcome)")
    }
}

/// Bytes handed out in reads that end every `step` bytes and at each of `cuts`; rewinds like a file.
final class CutStream: ByteStream {
    private let bytes: [UInt8]
    private let step: Int
    private let cuts: [Int]
    private var offset = 0

    init(_ bytes: [UInt8], step: Int = .max, cuts: [Int] = []) {
        self.bytes = bytes
        self.step = step
        self.cuts = cuts.sorted()
    }

    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(IOFault) -> Int {
        let nextCut = cuts.first { $0 > offset } ?? bytes.count
        let n = min(count, step, nextCut - offset, bytes.count - offset)
        if n > 0 {
            bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
            offset += n
        }
        return n
    }

    func rewind() -> Bool {
        offset = 0
        return true
    }
}
