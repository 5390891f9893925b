/// FNV-1a 64-bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3): the hash `--shard`
/// uses on relative paths and `keras-inputs.json` uses on input tensors.
struct FNV1a64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func combine<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01b3
        }
    }

    static func hash<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var h = FNV1a64()
        h.combine(bytes)
        return h.value
    }
}
