import CVRNet
import Evaluation

/// Everything `evaluate` computed: per model (fold) the averaged output's metrics and each
/// head's, and for several models their mean and standard deviation and the ensemble that
/// averages their probabilities.
struct EvaluationResults: Encodable {
    /// One model's (or the ensemble's) metrics.
    struct ModelResult: Encodable {
        /// The weights file, or "ensemble of N models".
        let name: String
        /// The averaged output (the model's prediction), with bootstrap AUC intervals.
        let averaged: Evaluation
        /// Each head alone, keyed in `HeadScale.allCases` order (no bootstrap).
        let heads: [HeadResult]
    }

    struct HeadResult: Encodable {
        let head: String
        let evaluation: Evaluation
    }

    /// A summary number across the folds: mean and population standard deviation (ddof = 0,
    /// `numpy.std`'s default).
    struct Spread: Encodable {
        let mean: Double
        let std: Double
        init(_ values: [Double]) {
            let n = Double(values.count)
            mean = values.reduce(0, +) / n
            let m = mean
            std = (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n).squareRoot()
        }
    }

    let classes: [String]
    /// Paths (relative to DIR) of the images every model scored, in evaluation order.
    let paths: [String]
    let truth: [Int]
    /// Images that failed to load or classify (relative paths); not in the metrics.
    let failed: [String]
    let models: [ModelResult]
    /// Averaged probabilities of all models (only with several models).
    let ensemble: ModelResult?
    /// Mean and standard deviation over the models of the headline metrics.
    let folds: [String: Spread]?
    let referenceWeights: Bool
    /// The probabilities of each model on each used image (averaged output), for --predictions.
    let modelProbabilities: [[[Double]]]
    let bootstrapResamples: Int
    let bootstrapSeed: UInt64

    /// The metrics people read first: the ensemble with several models, else the one model.
    var primary: ModelResult { ensemble ?? models[0] }

    /// The headline numbers of one evaluation, also the fold summary's keys.
    static func headline(_ e: Evaluation) -> [(String, Double)] {
        var rows: [(String, Double)] = [
            ("accuracy", e.report.accuracy), ("macro_precision", e.report.macroAverage.precision),
            ("macro_recall", e.report.macroAverage.recall), ("macro_f1", e.report.macroAverage.f1),
            ("macro_auc", e.macroAUC), ("micro_auc", e.microAUC), ("micro_average_precision", e.microAveragePrecision),
        ]
        for c in e.classes {
            rows.append(("auc_\(c.label)", c.auc))
            rows.append(("sensitivity_\(c.label)", c.sensitivity.value))
            rows.append(("specificity_\(c.label)", c.specificity.value))
        }
        return rows
    }

    init(folder: LabelledFolder, scores: [ModelScores], bootstrapResamples: Int, seed: UInt64) {
        classes = folder.classes
        let used = folder.images.indices.filter { i in scores.allSatisfy { $0.averaged[i] != nil } }
        failed = folder.images.indices.filter { i in scores.contains { $0.averaged[i] == nil } }.map { folder.images[$0].file.relativePath }
        paths = used.map { folder.images[$0].file.relativePath }
        truth = used.map { folder.images[$0].classIndex }
        referenceWeights = scores.contains { $0.isReferenceWeights }
        self.bootstrapResamples = bootstrapResamples
        bootstrapSeed = seed
        let classes = self.classes, truth = self.truth

        func evaluate(_ name: String, averaged: [[Double]], heads: [[[Double]]]) -> ModelResult {
            ModelResult(
                name: name,
                averaged: Evaluation(labels: classes, truth: truth, probabilities: averaged, bootstrapResamples: bootstrapResamples, seed: seed),
                heads: zip(HeadScale.allCases, heads).map { scale, p in
                    HeadResult(head: scale.identifier, evaluation: Evaluation(labels: classes, truth: truth, probabilities: p, bootstrapResamples: 0))
                })
        }
        let perModel: [(averaged: [[Double]], heads: [[[Double]]])] = scores.map { s in
            (used.map { s.averaged[$0]! }, s.heads.map { head in used.map { head[$0]! } })
        }
        modelProbabilities = perModel.map(\.averaged)
        models = zip(scores, perModel).map { s, p in evaluate(s.weightsPath, averaged: p.averaged, heads: p.heads) }
        if scores.count > 1 {
            let heads = HeadScale.allCases.indices.map { h in Ensemble.mean(perModel.map { $0.heads[h] }) }
            ensemble = evaluate("ensemble of \(scores.count) models", averaged: Ensemble.mean(perModel.map(\.averaged)), heads: heads)
            var folds: [String: Spread] = [:]
            let rows = models.map { Self.headline($0.averaged) }
            for (k, entry) in rows[0].enumerated() { folds[entry.0] = Spread(rows.map { $0[k].1 }) }
            self.folds = folds
        } else {
            ensemble = nil
            folds = nil
        }
    }
}
