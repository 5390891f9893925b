import Evaluation
import Foundation

/// The text report on stdout, laid out like scikit-learn's `classification_report` (digits=3,
/// as the notebook prints it) and followed by the other tables.
enum EvaluationTextReport {
    static func fixed(_ value: Double, _ digits: Int = 3) -> String {
        value.isNaN ? "nan" : String(format: "%.\(digits)f", value)
    }

    static func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let gap = String(repeating: " ", count: max(0, width - text.count))
        return left ? text + gap : gap + text
    }

    /// `classification_report(..., digits=3)` character for character.
    static func classificationReport(_ e: Evaluation) -> String {
        let width = max(e.labels.map(\.count).max() ?? 0, "weighted avg".count)
        func row(_ name: String, _ r: ClassificationReport.Row) -> String {
            pad(name, width) + " " + [r.precision, r.recall, r.f1].map { " " + pad(fixed($0), 9) }.joined() + " " + pad(String(r.support), 9) + "\n"
        }
        var text = pad("", width) + " " + ["precision", "recall", "f1-score", "support"].map { " " + pad($0, 9) }.joined() + "\n\n"
        for (label, r) in zip(e.labels, e.report.classes) { text += row(label, r) }
        text += "\n"
        text += pad("accuracy", width) + " " + " " + pad("", 9) + " " + pad("", 9) + " " + pad(fixed(e.report.accuracy), 9) + " " + pad(String(e.sampleCount), 9) + "\n"
        text += row("macro avg", e.report.macroAverage)
        text += row("weighted avg", e.report.weightedAverage)
        return text
    }

    static func confusion(_ e: Evaluation) -> String {
        let width = max(e.labels.map(\.count).max() ?? 0, 6)
        var text = "Confusion matrix (rows: true class, columns: predicted; counts, then % of the row)\n"
        text += pad("", width) + e.labels.map { " " + pad($0, max(width, 7)) }.joined() + "\n"
        let normalized = e.confusion.rowNormalized
        for (t, label) in e.labels.enumerated() {
            text += pad(label, width) + e.confusion.counts[t].enumerated().map { p, count in
                " " + pad("\(count) \(String(format: "%3.0f%%", 100 * normalized[t][p]))", max(width, 7))
            }.joined() + "\n"
        }
        return text
    }

    static func interval(_ value: Double, _ lower: Double, _ upper: Double) -> String {
        "\(fixed(value)) [\(fixed(lower))-\(fixed(upper))]"
    }

    static func perClass(_ e: Evaluation) -> String {
        let width = max(e.labels.map(\.count).max() ?? 0, 5)
        var text = pad("class", width, left: true) + "  " + pad("AUC [95% bootstrap]", 21, left: true) + "  " + pad("AP", 5)
            + "  " + pad("sensitivity [95% Wilson]", 24, left: true) + "  specificity [95% Wilson]\n"
        for (k, c) in e.classes.enumerated() {
            let ci = e.bootstrap?.classes[k]
            let auc = ci.map { interval(c.auc, $0.lower, $0.upper) } ?? fixed(c.auc)
            text += pad(c.label, width, left: true) + "  " + pad(auc, 21, left: true) + "  " + pad(fixed(c.averagePrecision), 5)
                + "  " + pad(interval(c.sensitivity.value, c.sensitivity.lower, c.sensitivity.upper), 24, left: true)
                + "  " + interval(c.specificity.value, c.specificity.lower, c.specificity.upper) + "\n"
        }
        let macroCI = e.bootstrap.map { " [\(fixed($0.macro.lower))-\(fixed($0.macro.upper))]" } ?? ""
        text += "macro AUC (notebook: TPRs interpolated onto all FPRs) \(fixed(e.macroAUC))\(macroCI); micro AUC \(fixed(e.microAUC)); micro average precision \(fixed(e.microAveragePrecision))\n"
        return text
    }

    static let headColumns = ["accuracy", "macro F1", "macro AUC", "micro AUC", "micro AP"]

    static func headRow(_ e: Evaluation) -> [Double] {
        [e.report.accuracy, e.report.macroAverage.f1, e.macroAUC, e.microAUC, e.microAveragePrecision]
    }

    static func table(_ rows: [(String, [String])], columns: [String]) -> String {
        let width = max(rows.map(\.0.count).max() ?? 0, 4)
        var text = pad("", width, left: true) + columns.map { "  " + pad($0, 10) }.joined() + "\n"
        for (name, values) in rows {
            text += pad(name, width, left: true) + values.map { "  " + pad($0, 10) }.joined() + "\n"
        }
        return text
    }

    static func perHead(_ result: EvaluationResults.ModelResult) -> String {
        var rows = result.heads.map { ($0.head, headRow($0.evaluation).map { fixed($0) }) }
        rows.append(("averaged", headRow(result.averaged).map { fixed($0) }))
        return "Per head (each scale alone, then the averaged output the model predicts)\n" + table(rows, columns: headColumns)
    }

    static func folds(_ results: EvaluationResults) -> String {
        guard let folds = results.folds, let ensemble = results.ensemble else { return "" }
        var rows = results.models.enumerated().map { i, m in ("model \(i + 1)", headRow(m.averaged).map { fixed($0) }) }
        let keys = ["accuracy", "macro_f1", "macro_auc", "micro_auc", "micro_average_precision"]
        rows.append(("mean ± std", keys.map { folds[$0].map { "\(fixed($0.mean))±\(fixed($0.std))" } ?? "" }))
        rows.append(("ensemble", headRow(ensemble.averaged).map { fixed($0) }))
        var text = "Models (folds); the ensemble averages their probabilities; std is the population std (ddof=0)\n"
        for (i, m) in results.models.enumerated() { text += "  model \(i + 1): \(m.name)\n" }
        return text + table(rows, columns: headColumns)
    }

    static func render(_ results: EvaluationResults) -> String {
        let primary = results.primary
        var text = ""
        if results.referenceWeights {
            text += "NOTE: untrained reference weights: these numbers carry no clinical meaning.\n\n"
        }
        text += "Evaluated \(results.paths.count) images in \(results.classes.count) classes (\(results.classes.joined(separator: ", ")))"
        if !results.failed.isEmpty { text += "; \(results.failed.count) failed and are left out" }
        text += "\nMetrics of \(results.ensemble == nil ? "the averaged output" : primary.name); AUC intervals: percentile bootstrap, \(results.bootstrapResamples) resamples, SplitMix64 seed \(results.bootstrapSeed)\n\n"
        text += classificationReport(primary.averaged) + "\n"
        text += confusion(primary.averaged) + "\n"
        text += perClass(primary.averaged) + "\n"
        text += perHead(primary)
        let foldText = folds(results)
        if !foldText.isEmpty { text += "\n" + foldText }
        return text
    }
}
