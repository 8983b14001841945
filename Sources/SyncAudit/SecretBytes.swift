#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes that must never be shown, logged or kept: the canary's password, which phs-check
/// makes itself (`probe`). They live in one buffer of their own, locked in memory where the
/// system allows (`mlock(2)`: not written to swap), and zeroed when the last reference goes
/// (`explicit_bzero(3)`: a zeroing the compiler may not drop). There is no way to turn them
/// into a `String` (whose copies could not be zeroed); they are read in place, for as long as
/// a call needs them.
public final class SecretBytes: @unchecked Sendable {
    private let buffer: UnsafeMutableRawBufferPointer
    private let locked: Bool

    /// `count` bytes that `fill` writes.
    public init(count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) {
        buffer = .allocate(byteCount: max(count, 1), alignment: 16)
        locked = mlock(buffer.baseAddress!, buffer.count) == 0
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        fill(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]))
        self.count = count
    }

    public let count: Int

    /// The bytes, for the length of `body`: never keep the pointer.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
    }

    deinit {
        explicit_bzero(buffer.baseAddress!, buffer.count)
        if locked { munlock(buffer.baseAddress!, buffer.count) }
        buffer.deallocate()
    }
}

extension SecretBytes: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "<secret>" }
    public var debugDescription: String { "<secret>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .class) }
}
