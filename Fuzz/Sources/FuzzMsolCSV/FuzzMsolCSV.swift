// Fuzzes the Get-MsolUser Export-Csv reader (`--cloud-format msol-csv`).
// Input: a selector byte (options, tiny buffer sizes; see CloudFuzzing), then the export.
import CloudExport
import CloudFuzzing
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzExport(bytes(data, size), format: .msolCSV)
    return 0
}

@_cdecl("FuzzMsolCSV_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzerMain(argc, argv, fuzz)
}
