// gunzip: decompresses a gzip file with CloudExport's decoder (Sources/CloudExport/Gzip.swift,
// Inflate.swift) to standard output, as `gzip -dc FILE` does, and prints the time it took on
// standard error. Built by Benchmarks/gunzip.sh (with -enable-testing: the decoder is internal).
//
//   gunzip FILE > OUT
import Foundation
@testable import CloudExport

guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: gunzip FILE > OUT\n".utf8))
    exit(2)
}
let path = CommandLine.arguments[1]
let started = DispatchTime.now()
var total = 0
do {
    let stream = try Gzip.decompressing(try FileStream(path: path), name: path, limit: .max)
    guard stream is GzipStream else {
        FileHandle.standardError.write(Data("gunzip: \(path) is not gzip\n".utf8))
        exit(1)
    }
    let size = 1 << 16
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    defer { buffer.deallocate() }
    while true {
        let n = try stream.read(into: buffer, count: size)
        if n == 0 { break }
        total += n
        var written = 0
        while written < n {
            let w = write(1, buffer + written, n - written)
            guard w > 0 else { exit(1) }
            written += w
        }
    }
} catch {
    FileHandle.standardError.write(Data("gunzip: \(path): \(error.message)\n".utf8))
    exit(1)
}
let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
FileHandle.standardError.write(Data(String(format: "bytes=%d seconds=%.4f\n", total, seconds).utf8))
