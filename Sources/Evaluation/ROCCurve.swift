/// A receiver operating characteristic curve, as `sklearn.metrics.roc_curve(y_true, y_score)`
/// computes it with its defaults (`drop_intermediate=True`).
public struct ROCCurve: Sendable, Equatable, Codable {
    /// False-positive rates, non-decreasing, from 0. All NaN when there are no negatives
    /// (scikit-learn warns and returns NaN).
    public var falsePositiveRates: [Double]
    /// True-positive rates, non-decreasing, from 0. All NaN when there are no positives.
    public var truePositiveRates: [Double]
    /// Decision thresholds; the first is +infinity (the point (0, 0)).
    public var thresholds: [Double]

    /// Builds the curve for one binary problem.
    ///
    /// Like scikit-learn: one point per distinct score; then, when there are more than two
    /// points, a point is kept only when it is first, last, or where the second difference of
    /// the false- or true-positive counts is non-zero (collinear points on horizontal or
    /// vertical runs are dropped); then (0, 0) is put first with threshold +inf.
    public init(positive: [Bool], scores: [Double]) {
        let counts = BinaryThresholdCounts(positive: positive, scores: scores)
        var fps = counts.falsePositives, tps = counts.truePositives, thresholds = counts.thresholds
        if fps.count > 2 {
            var keep = [0]
            for i in 1..<(fps.count - 1) {
                let fpBend = (fps[i + 1] - fps[i]) - (fps[i] - fps[i - 1])
                let tpBend = (tps[i + 1] - tps[i]) - (tps[i] - tps[i - 1])
                if fpBend != 0 || tpBend != 0 { keep.append(i) }
            }
            keep.append(fps.count - 1)
            fps = keep.map { fps[$0] }
            tps = keep.map { tps[$0] }
            thresholds = keep.map { thresholds[$0] }
        }
        fps.insert(0, at: 0)
        tps.insert(0, at: 0)
        thresholds.insert(.infinity, at: 0)
        let negatives = fps.last!, positives = tps.last!
        falsePositiveRates = fps.map { negatives > 0 ? $0 / negatives : .nan }
        truePositiveRates = tps.map { positives > 0 ? $0 / positives : .nan }
        self.thresholds = thresholds
    }

    /// A curve given by its points (the macro average).
    public init(falsePositiveRates: [Double], truePositiveRates: [Double], thresholds: [Double] = []) {
        self.falsePositiveRates = falsePositiveRates
        self.truePositiveRates = truePositiveRates
        self.thresholds = thresholds
    }

    /// The area under the curve: `sklearn.metrics.auc(fpr, tpr)`, the trapezoidal rule. NaN
    /// when the curve is undefined (a class without positives or without negatives).
    public var area: Double { TrapezoidalArea.area(x: falsePositiveRates, y: truePositiveRates) }
}
