extension Array where Element == UInt8 {
    /// The unsigned 32-bit little-endian integer at `offset`, as AD's binary attributes store
    /// them (`objectSid` sub-authorities, `replPropertyMetaData`). The caller checks the length.
    func littleEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16 | UInt32(self[offset + 3]) << 24
    }

    /// The unsigned 64-bit little-endian integer at `offset`. The caller checks the length.
    func littleEndianUInt64(at offset: Int) -> UInt64 {
        UInt64(littleEndianUInt32(at: offset)) | UInt64(littleEndianUInt32(at: offset + 4)) << 32
    }
}
