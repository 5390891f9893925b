/// True- and false-positive counts at every distinct score, highest score first: what
/// scikit-learn's `confusion_matrix_at_thresholds` (formerly `_binary_clf_curve`) returns
/// without sample weights, on which `roc_curve` and `precision_recall_curve` are built.
///
/// Scores are sorted in decreasing order; tied scores form one threshold (the counts jump
/// by the whole tie at once), so the order among equal scores never matters. Counts are
/// doubles, as scikit-learn's float64 cumulative sums.
struct BinaryThresholdCounts {
    /// False positives with score >= `thresholds[i]`.
    var falsePositives: [Double] = []
    /// True positives with score >= `thresholds[i]`.
    var truePositives: [Double] = []
    /// The distinct scores, decreasing.
    var thresholds: [Double] = []

    /// `positive[i]` says whether sample i belongs to the positive class.
    init(positive: [Bool], scores: [Double]) {
        precondition(positive.count == scores.count, "one label per score")
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var tp = 0.0, fp = 0.0
        for (rank, index) in order.enumerated() {
            if positive[index] { tp += 1 } else { fp += 1 }
            // A threshold closes at the last sample of a run of equal scores.
            let last = rank == order.count - 1 || scores[order[rank + 1]] != scores[index]
            if last {
                truePositives.append(tp)
                falsePositives.append(fp)
                thresholds.append(scores[index])
            }
        }
    }
}
