// Fuzzes the Graph JSON reader (`--cloud-format graph-json`): Graph pages, arrays, JSON Lines, PowerShell ConvertTo-Json.
// Input: a selector byte (options, tiny buffer sizes; see CloudFuzzing), then the export.
import CloudExport
import CloudFuzzing
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzExport(bytes(data, size), format: .graphJSON)
    return 0
}

@_cdecl("FuzzGraphJSON_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzerMain(argc, argv, fuzz)
}
