/// FNV-1a 64-bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3): the hash `--shard`
/// uses on relative paths and the fixtures use on input tensors (`input_fnv1a64`, written by
/// tools/cvrnet_common.py's `fnv1a64`).
public struct FNV1a64 {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func combine<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01b3
        }
    }

    public static func hash<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var h = FNV1a64()
        h.combine(bytes)
        return h.value
    }

    /// The value as 16 lowercase hex digits, as the fixtures store it.
    public var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// FNV-1a 64-bit over the little-endian bytes of float32 values, as 16 lowercase hex digits:
/// the checksum `tools/` writes for Keras's input tensors (`input_fnv1a64`).
public func fnv1a64(_ values: [Float]) -> String {
    var hash = FNV1a64()
    for v in values {
        withUnsafeBytes(of: v.bitPattern.littleEndian) { hash.combine($0) }
    }
    return hash.hex
}
