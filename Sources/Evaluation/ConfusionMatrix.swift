/// `sklearn.metrics.confusion_matrix(y_true, y_pred, labels=range(n))`: rows are true
/// classes, columns predicted classes.
public struct ConfusionMatrix: Sendable, Equatable, Codable {
    /// `counts[t][p]`: samples of class t predicted as p.
    public var counts: [[Int]]

    public init(truth: [Int], predicted: [Int], classCount: Int) {
        precondition(truth.count == predicted.count)
        counts = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
        for (t, p) in zip(truth, predicted) { counts[t][p] += 1 }
    }

    /// `confusion_matrix(..., normalize="true")`: each row divided by its sum; a row without
    /// samples stays 0 (scikit-learn's `nan_to_num`).
    public var rowNormalized: [[Double]] {
        counts.map { row in
            let total = Double(row.reduce(0, +))
            return row.map { total > 0 ? Double($0) / total : 0 }
        }
    }
}
