import Testing
@testable import Evaluation

/// Properties the parity fixture does not spell out on its own.
struct EvaluationUnitTests {
    @Test func splitMix64MatchesTheReferenceSequence() {
        // First outputs of SplitMix64 seeded with 1234567 (Vigna's splitmix64.c).
        var generator = SplitMix64(seed: 1_234_567)
        #expect(generator.next() == 6_457_827_717_110_365_317)
        #expect(generator.next() == 3_203_168_211_198_807_973)
    }

    @Test func interpolationTakesTheLastOfRepeatedPoints() {
        // np.interp([0, 0.5, 1], [0, 0.5, 0.5, 1], [0, 0.2, 0.8, 1]) == [0, 0.8, 1]
        #expect(LinearInterpolation.interpolate([0, 0.5, 1], xp: [0, 0.5, 0.5, 1], fp: [0, 0.2, 0.8, 1]) == [0, 0.8, 1])
    }

    @Test func percentileIsNumPysLinear() {
        // np.percentile([1, 2, 3, 4], [2.5, 97.5]) == [1.075, 3.925]
        #expect(abs(Percentile.of([4, 1, 3, 2], 2.5) - 1.075) < 1e-15)
        #expect(abs(Percentile.of([4, 1, 3, 2], 97.5) - 3.925) < 1e-15)
    }
}
