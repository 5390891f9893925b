/// Reproducible test data: a 64-bit linear congruential generator (Knuth's MMIX constants) giving
/// floats in [-1, 1] with six decimal digits, the same sequence on every machine.
public struct SeededRandomFloats {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    public mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 1_000_000
    }

    public mutating func array(_ n: Int) -> [Float] { (0..<n).map { _ in next() } }
}

extension SeededRandomFloats {
    /// `count` values from the generator seeded with `seed`.
    public static func values(_ count: Int, seed: UInt64) -> [Float] {
        var random = SeededRandomFloats(state: seed)
        return random.array(count)
    }
}
