// Fuzzes the gzip decoder of compressed exports (`GzipStream`: gzip framing and DEFLATE).
// Input: a selector byte (read size and decoding step; see CloudFuzzing), then the .gz bytes.
import CloudFuzzing
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzGzip(bytes(data, size))
    return 0
}

@_cdecl("FuzzGzip_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzerMain(argc, argv, fuzz)
}
