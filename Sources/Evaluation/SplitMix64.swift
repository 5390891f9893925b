/// SplitMix64 (Steele, Lea and Flood 2014; the seeding generator of xoshiro): the bootstrap's
/// random numbers, chosen because it is three lines in any language, so the resamples can be
/// reproduced exactly elsewhere (tools/make_evaluation_fixture.py does it in Python).
///
///     state += 0x9E3779B97F4A7C15
///     z = state; z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
///     z = (z ^ (z >> 27)) * 0x94D049BB133111EB; return z ^ (z >> 31)   (all mod 2^64)
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// An index in 0..<n: the high 64 bits of `next() * n` (Lemire's multiply-shift, without
    /// the rejection step: the bias is below n / 2^64, far under anything measurable here).
    public mutating func index(below n: Int) -> Int {
        Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }
}
