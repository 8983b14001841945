// What every fuzz target shares: the entry point and the invariant check.
//
// SwiftPM (tools version 5.5 and later) compiles an executable target's entry point as
// `<Module>_main` and links it with `--defsym main=<Module>_main`, so that test targets can
// link the executable's module. With `-parse-as-library` (libFuzzer brings `main`) that symbol
// is never emitted and the link fails. Each target therefore defines `<Module>_main` itself
// with `fuzzerMain`, which hands over to libFuzzer's driver: the binary works whichever
// `main` the linker keeps.

/// libFuzzer's driver (`FuzzerInterface.h`): parses the libFuzzer flags and runs `callback`.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The body of a target's `<Module>_main`.
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                       _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, callback)
}

/// The input as an array (libFuzzer may pass a null pointer with size 0).
public func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// An invariant of the code under test. A broken one traps, which libFuzzer records as a
/// crash with its input (`-artifact_prefix`), like any other trap.
public func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                      file: StaticString = #fileID, line: UInt = #line) {
    if !condition() {
        fatalError("invariant broken: \(message())", file: file, line: line)
    }
}

/// Splits the first byte off an input: it picks among option sets, the rest is the text.
public func selector(_ input: [UInt8]) -> (UInt8, [UInt8]) {
    guard let first = input.first else { return (0, []) }
    return (first, Array(input.dropFirst()))
}
