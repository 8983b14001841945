// Fuzzes `CloudExportReader` with format detection (`--cloud-format auto`).
// Input: a selector byte (options, tiny buffer sizes; see CloudFuzzing), then the export.
import CloudExport
import CloudFuzzing
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzExport(bytes(data, size), format: .auto)
    return 0
}

@_cdecl("FuzzCloudExport_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzerMain(argc, argv, fuzz)
}
