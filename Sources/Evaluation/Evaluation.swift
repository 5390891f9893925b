/// Every metric of one probability table against the true classes: what the CVR-Net
/// notebook computes with scikit-learn, plus sensitivity and specificity with confidence
/// intervals and bootstrap intervals of the AUCs.
///
/// The predicted class is the most probable one, the first on ties (`numpy.argmax`).
public struct Evaluation: Sendable, Codable {
    /// One class's one-vs-rest metrics.
    public struct ClassMetrics: Sendable, Codable {
        public var label: String
        /// `roc_curve(y_true == k, p[:, k])`.
        public var roc: ROCCurve
        /// `auc(fpr, tpr)` of that curve (NaN when the class has no positives or no negatives).
        public var auc: Double
        /// `precision_recall_curve(y_true == k, p[:, k])`.
        public var precisionRecall: PrecisionRecallCurve
        /// `average_precision_score(y_true == k, p[:, k])`.
        public var averagePrecision: Double
        /// TP / (TP + FN) at the argmax decision, with its Wilson 95% interval.
        public var sensitivity: WilsonInterval
        /// TN / (TN + FP) at the argmax decision, with its Wilson 95% interval.
        public var specificity: WilsonInterval
    }

    public var labels: [String]
    public var sampleCount: Int
    public var predicted: [Int]
    public var confusion: ConfusionMatrix
    /// `confusion_matrix(..., normalize="true")`.
    public var confusionNormalized: [[Double]]
    public var report: ClassificationReport
    public var classes: [ClassMetrics]
    /// The notebook's macro-average ROC (TPRs interpolated onto the union of all FPRs).
    public var macroROC: ROCCurve
    public var macroAUC: Double
    /// `roc_curve(Y.ravel(), P.ravel())` over the one-hot truth.
    public var microROC: ROCCurve
    public var microAUC: Double
    /// `precision_recall_curve(Y.ravel(), P.ravel())`.
    public var microPrecisionRecall: PrecisionRecallCurve
    /// `average_precision_score(Y, P, average="micro")`.
    public var microAveragePrecision: Double
    /// Bootstrap intervals of the AUCs; nil when not asked for.
    public var bootstrap: BootstrapAUC?

    /// - Parameters:
    ///   - truth: the true class index of each sample.
    ///   - probabilities: per sample, one score per class (in label order).
    ///   - bootstrapResamples: rounds of the AUC bootstrap; 0 for none.
    public init(labels: [String], truth: [Int], probabilities: [[Double]],
                bootstrapResamples: Int = BootstrapAUC.defaultResamples, seed: UInt64 = BootstrapAUC.defaultSeed) {
        precondition(truth.count == probabilities.count, "one probability row per sample")
        let n = labels.count
        self.labels = labels
        sampleCount = truth.count
        predicted = probabilities.map { row in
            var best = 0
            for k in row.indices where row[k] > row[best] { best = k }
            return best
        }
        let confusion = ConfusionMatrix(truth: truth, predicted: predicted, classCount: n)
        self.confusion = confusion
        confusionNormalized = confusion.rowNormalized
        report = ClassificationReport(confusion: confusion)
        var perClass: [ClassMetrics] = []
        for k in 0..<n {
            let positive = truth.map { $0 == k }
            let scores = probabilities.map { $0[k] }
            let roc = ROCCurve(positive: positive, scores: scores)
            let pr = PrecisionRecallCurve(positive: positive, scores: scores)
            let tp = confusion.counts[k][k]
            let support = confusion.counts[k].reduce(0, +)
            let predictedK = (0..<n).reduce(0) { $0 + confusion.counts[$1][k] }
            let negatives = truth.count - support
            let trueNegatives = negatives - (predictedK - tp)
            perClass.append(ClassMetrics(label: labels[k], roc: roc, auc: roc.area, precisionRecall: pr,
                                        averagePrecision: pr.averagePrecision,
                                        sensitivity: WilsonInterval(successes: tp, trials: support),
                                        specificity: WilsonInterval(successes: trueNegatives, trials: negatives)))
        }
        classes = perClass
        macroROC = MacroAverageROC.curve(perClass.map(\.roc))
        macroAUC = macroROC.area
        let flatTruth = truth.flatMap { t in (0..<n).map { $0 == t } }
        let flatScores = probabilities.flatMap { $0 }
        microROC = ROCCurve(positive: flatTruth, scores: flatScores)
        microAUC = microROC.area
        microPrecisionRecall = PrecisionRecallCurve(positive: flatTruth, scores: flatScores)
        microAveragePrecision = microPrecisionRecall.averagePrecision
        bootstrap = bootstrapResamples > 0
            ? BootstrapAUC(truth: truth, probabilities: probabilities, classCount: n, resamples: bootstrapResamples, seed: seed)
            : nil
    }
}
