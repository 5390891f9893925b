/// Percentile bootstrap 95% confidence intervals of the ROC AUCs.
///
/// Each of `resamples` rounds draws n sample indices with replacement from SplitMix64
/// seeded with `seed` (index = high 64 bits of `next() * n`), in one sequence for all rounds,
/// and recomputes every class's one-vs-rest AUC (`ROCCurve.area`) and the notebook's
/// macro AUC on the resampled rows. A round where a class has no positives or no negatives
/// gives no value for that class (nor for the macro AUC). The interval is the 2.5th and
/// 97.5th `numpy.percentile` (linear) of the values that were defined.
public struct BootstrapAUC: Sendable, Codable {
    public static let defaultSeed: UInt64 = 200_711_993
    public static let defaultResamples = 1000

    public struct Interval: Sendable, Equatable, Codable {
        public var lower: Double
        public var upper: Double
        /// How many of the resamples gave a defined AUC.
        public var resamplesUsed: Int
    }

    /// Per class, in label order.
    public var classes: [Interval]
    public var macro: Interval
    public var resamples: Int
    public var seed: UInt64

    public init(truth: [Int], probabilities: [[Double]], classCount: Int,
                resamples: Int = BootstrapAUC.defaultResamples, seed: UInt64 = BootstrapAUC.defaultSeed) {
        self.resamples = resamples
        self.seed = seed
        var generator = SplitMix64(seed: seed)
        let n = truth.count
        var perClass = [[Double]](repeating: [], count: classCount)
        var macroValues: [Double] = []
        for _ in 0..<resamples {
            guard n > 0 else { break }
            let picks = (0..<n).map { _ in generator.index(below: n) }
            var curves: [ROCCurve] = []
            for k in 0..<classCount {
                let positive = picks.map { truth[$0] == k }
                let positives = positive.reduce(0) { $0 + ($1 ? 1 : 0) }
                guard positives > 0 && positives < n else { continue }
                let curve = ROCCurve(positive: positive, scores: picks.map { probabilities[$0][k] })
                perClass[k].append(curve.area)
                curves.append(curve)
            }
            if curves.count == classCount {
                macroValues.append(MacroAverageROC.curve(curves).area)
            }
        }
        func interval(_ values: [Double]) -> Interval {
            Interval(lower: Percentile.of(values, 2.5), upper: Percentile.of(values, 97.5), resamplesUsed: values.count)
        }
        classes = perClass.map(interval)
        macro = interval(macroValues)
    }
}
