/// `sklearn.metrics.classification_report(y_true, y_pred, labels=range(n), output_dict=True)`
/// with the default `zero_division="warn"`, which scores an undefined ratio as 0.
///
/// Every class is listed, also one absent from both truth and predictions (scikit-learn
/// would drop it unless `labels` is given; cvrnet always gives them, so the table has the
/// model's classes in the model's order).
public struct ClassificationReport: Sendable, Equatable, Codable {
    public struct Row: Sendable, Equatable, Codable {
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var support: Int
    }

    /// One row per class, in label order.
    public var classes: [Row]
    /// `accuracy_score`: the fraction predicted right (NaN without samples).
    public var accuracy: Double
    /// Unweighted mean of the class rows.
    public var macroAverage: Row
    /// Mean of the class rows weighted by support (0 when there is no support at all).
    public var weightedAverage: Row

    public init(confusion: ConfusionMatrix) {
        let n = confusion.counts.count
        var rows: [Row] = []
        var correct = 0, total = 0
        for k in 0..<n {
            let tp = Double(confusion.counts[k][k])
            let support = confusion.counts[k].reduce(0, +)
            let predicted = (0..<n).reduce(0) { $0 + confusion.counts[$1][k] }
            let precision = predicted > 0 ? tp / Double(predicted) : 0
            let recall = support > 0 ? tp / Double(support) : 0
            // scikit-learn computes F from counts: 2 tp / (support + predicted), 0 when 0/0.
            let denominator = Double(support + predicted)
            let f1 = denominator > 0 ? 2 * tp / denominator : 0
            rows.append(Row(precision: precision, recall: recall, f1: f1, support: support))
            correct += confusion.counts[k][k]
            total += support
        }
        classes = rows
        accuracy = total > 0 ? Double(correct) / Double(total) : .nan
        let count = Double(n)
        macroAverage = Row(precision: rows.map(\.precision).reduce(0, +) / count,
                           recall: rows.map(\.recall).reduce(0, +) / count,
                           f1: rows.map(\.f1).reduce(0, +) / count, support: total)
        func weighted(_ value: KeyPath<Row, Double>) -> Double {
            total > 0 ? rows.reduce(0) { $0 + $1[keyPath: value] * Double($1.support) } / Double(total) : 0
        }
        weightedAverage = Row(precision: weighted(\.precision), recall: weighted(\.recall), f1: weighted(\.f1), support: total)
    }
}
