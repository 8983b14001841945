// Fuzzes `TenantFactsReader` (`--tenant FILE`).
// Input: a selector byte (the read size of the second read; see CloudFuzzing), then the file.
import CloudFuzzing
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzTenant(bytes(data, size))
    return 0
}

@_cdecl("FuzzTenantFacts_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzerMain(argc, argv, fuzz)
}
