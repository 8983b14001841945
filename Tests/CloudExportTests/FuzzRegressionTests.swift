import Foundation
import SyncAudit
import Testing
@testable import CloudExport

/// Replays every input the fuzzers kept (`Fuzz/Regressions/<target>/`, see scripts/fuzz.sh)
/// through the path its target fuzzes (Fuzz/Sources/CloudFuzzing): the first byte picks the
/// options and tiny sizes as `CloudCase` does, the rest is the file. Each must read cleanly —
/// users, or a `CloudExportError` that names the file — and the same at the default sizes, in
/// tiny buffers from a file and from a pipe.
@Suite("Fuzz regressions: cloud exports and tenant files")
struct CloudFuzzRegressionTests {
    /// `CloudCase` of Fuzz/Sources/CloudFuzzing/CloudFuzzing.swift: keep the two in step.
    static func options(_ selector: UInt8, format: CloudFormat) -> (CloudReadOptions, TinyBufferTests.Sizes) {
        var options = CloudReadOptions(format: format)
        options.timeZone = ["UTC", nil, "Europe/Amsterdam", "+05:30"][Int(selector & 3)].flatMap(CloudReadOptions.timeZone(named:))
        options.dateFormat = [nil, nil, "dd-MM-yyyy HH:mm:ss", "M/d/yyyy h:mm:ss tt"][Int(selector >> 2 & 3)].flatMap(DatePattern.init)
        return (options, .all(Int(selector >> 4) + 1))
    }

    static func inputs(_ target: String) -> [(name: String, bytes: [UInt8])] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/Regressions/\(target)")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            Issue.record("no folder \(folder.path)")
            return []
        }
        return names.filter { !$0.hasPrefix(".") }.sorted().map { name in
            (name, Array(FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) ?? Data()))
        }
    }

    func checkError(_ error: CloudExportError, _ file: String, size: Int) {
        #expect(error.description.hasPrefix(file + ":"), "\(error)")
        #expect(!error.problem.isEmpty)
        if let byte = error.byteOffset { #expect((0...size).contains(byte), "\(error)") }
    }

    @Test(arguments: [("FuzzGraphJSON", CloudFormat.graphJSON), ("FuzzMgCSV", .mgCSV), ("FuzzMsolCSV", .msolCSV), ("FuzzCloudExport", .auto)])
    func exports(_ target: String, _ format: CloudFormat) {
        for (name, input) in Self.inputs(target) {
            let file = "\(target)/\(name)"
            let (options, sizes) = Self.options(input.first ?? 0, format: format)
            let text = Array(input.dropFirst())
            let expected = TinyBufferTests.read(MemoryStream(text), name: file, options: options)
            switch expected {
            case .failed(let error): checkError(error, file, size: text.count)
            case .read(let users, let summary): #expect(!users.isEmpty && summary.users == users.count, "\(file)")
            }
            let tiny = TinyBufferTests.read(CutStream(text, step: sizes.step), name: file, options: options, buffers: sizes.buffers)
            #expect(tiny == expected, "\(file) in tiny buffers: \(tiny) instead of \(expected)")
            let pipe = TinyBufferTests.read(RecordingStream(TrickleStream(text, step: sizes.step)), name: file, options: options,
                                            buffers: sizes.buffers)
            #expect(pipe == expected, "\(file) from a pipe: \(pipe) instead of \(expected)")
        }
    }

    /// `fuzzGzip` of Fuzz/Sources/CloudFuzzing/CloudFuzzing.swift: bits 0–3 of the selector the
    /// read sizes, bits 4–7 the decoding step; the same bytes or the same gzip fault either way.
    @Test func gzip() {
        for (name, input) in Self.inputs("FuzzGzip") {
            let (step, inflated) = (Int((input.first ?? 0) & 15) + 1, Int((input.first ?? 0) >> 4) + 1)
            let data = Array(input.dropFirst())
            let expected = GzipTests.gunzip(data, limit: 1 << 20)
            if case .failure(let fault) = expected { #expect(fault.kind == .compressed && fault.fix != nil, "\(name): \(fault.message)") }
            let tiny = GzipTests.gunzip(data, step: step, count: step, buffers: ReadBuffers(compressed: step, inflated: inflated),
                                        limit: 1 << 20)
            #expect(GzipTests.message(tiny) == GzipTests.message(expected), "FuzzGzip/\(name)")
            #expect((try? tiny.get()) == (try? expected.get()), "FuzzGzip/\(name)")
        }
    }

    @Test func tenantFiles() {
        for (name, input) in Self.inputs("FuzzTenantFacts") {
            let file = "FuzzTenantFacts/\(name)"
            let text = Array(input.dropFirst())
            func read(_ stream: any ByteStream) -> Result<TenantFacts, CloudExportError> {
                do { return .success(try TenantFactsReader.read(stream: stream, name: file)) } catch { return .failure(error) }
            }
            let expected = read(MemoryStream(text))
            if case .failure(let error) = expected { checkError(error, file, size: text.count) }
            let stepped = read(TrickleStream(text, step: Int((input.first ?? 0) & 15) + 1))
            #expect(stepped == expected, "\(file) read in steps: \(stepped) instead of \(expected)")
        }
    }
}
