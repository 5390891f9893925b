/// The macro-average ROC curve of the CVR-Net notebook (after scikit-learn's multi-class ROC
/// example):
///
///     all_fpr = np.unique(np.concatenate([fpr[i] for i in range(n_classes)]))
///     mean_tpr = np.zeros_like(all_fpr)
///     for i in range(n_classes): mean_tpr += interp(all_fpr, fpr[i], tpr[i])
///     mean_tpr /= n_classes
///     roc_auc["macro"] = auc(all_fpr, mean_tpr)
///
/// Note this is not `roc_auc_score(average="macro")` (the plain mean of the per-class
/// areas); the two differ slightly. When a class has no positives (or no negatives), its
/// curve is NaN and so is the macro average, as in the notebook.
public enum MacroAverageROC {
    public static func curve(_ curves: [ROCCurve]) -> ROCCurve {
        precondition(!curves.isEmpty)
        // An undefined class curve makes the average undefined (NumPy yields NaN there too).
        if curves.contains(where: { $0.falsePositiveRates.contains(where: \.isNaN) || $0.truePositiveRates.contains(where: \.isNaN) }) {
            return ROCCurve(falsePositiveRates: [.nan, .nan], truePositiveRates: [.nan, .nan])
        }
        let values = Array(Set(curves.flatMap(\.falsePositiveRates))).sorted()
        var mean = [Double](repeating: 0, count: values.count)
        for curve in curves {
            let tpr = LinearInterpolation.interpolate(values, xp: curve.falsePositiveRates, fp: curve.truePositiveRates)
            for i in mean.indices { mean[i] += tpr[i] }
        }
        let n = Double(curves.count)
        return ROCCurve(falsePositiveRates: values, truePositiveRates: mean.map { $0 / n })
    }
}
