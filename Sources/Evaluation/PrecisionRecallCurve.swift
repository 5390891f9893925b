/// A precision-recall curve, as `sklearn.metrics.precision_recall_curve(y_true, y_score)`
/// computes it with its defaults (`drop_intermediate=False`).
public struct PrecisionRecallCurve: Sendable, Equatable, Codable {
    /// Precision at each threshold, lowest threshold first, then a final 1.
    /// 0 where nothing is predicted positive (scikit-learn's choice, no warning).
    public var precisions: [Double]
    /// Recall at each threshold, decreasing, then a final 0. All 1 when there are no
    /// positives (scikit-learn warns and sets recall to 1).
    public var recalls: [Double]
    /// The distinct scores, increasing.
    public var thresholds: [Double]

    public init(positive: [Bool], scores: [Double]) {
        let counts = BinaryThresholdCounts(positive: positive, scores: scores)
        let tps = counts.truePositives, fps = counts.falsePositives
        let positives = tps.last ?? 0
        var precisions: [Double] = [], recalls: [Double] = []
        for i in tps.indices {
            let predicted = tps[i] + fps[i]
            precisions.append(predicted != 0 ? tps[i] / predicted : 0)
            recalls.append(positives == 0 ? 1 : tps[i] / positives)
        }
        self.precisions = precisions.reversed() + [1]
        self.recalls = recalls.reversed() + [0]
        self.thresholds = counts.thresholds.reversed()
    }

    /// Average precision: `sklearn.metrics.average_precision_score` of a binary problem, the
    /// step-wise integral `-sum(diff(recall) * precision[:-1])`, clipped at 0 (scikit-learn
    /// clips a `-0.0`). Not the trapezoidal area, which is optimistic.
    public var averagePrecision: Double {
        var sum = 0.0
        for i in 0..<(recalls.count - 1) {
            sum += (recalls[i + 1] - recalls[i]) * precisions[i]
        }
        return max(0, -sum)
    }
}
