import Evaluation
import Foundation

/// The `--report` page: one self-contained HTML file (inline CSS and SVG, thumbnails and
/// Grad-CAM overlays as data: URIs; no scripts, no network, no external fonts) with the tables
/// and charts of the text report.
enum EvaluationHTMLReport {
    /// Misclassified images shown with a thumbnail (the file itself, if at most this big).
    static let thumbnailLimit = 100
    static let thumbnailMaxBytes = 2 << 20

    static let style = """
    body{font-family:sans-serif;margin:24px;color:#111;max-width:1100px}
    h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ccc}
    table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #bbb;padding:3px 8px;text-align:right;font-variant-numeric:tabular-nums}
    th:first-child,td:first-child{text-align:left}th{background:#f0f0f0}
    .warning{border:3px solid #b00;background:#fee;padding:10px 14px;font-weight:bold;color:#800}
    .charts{display:flex;flex-wrap:wrap;gap:16px}
    .chart .title{font-size:14px;font-weight:bold}.chart .tick{font-size:11px}.chart .axis{font-size:12px}
    .chart .legend{font-size:11px}.chart .count{font-size:16px;font-weight:bold}
    .wrong td{vertical-align:middle}.wrong td:nth-child(2){text-align:left}.wrong td:first-child{white-space:nowrap}.wrong th:nth-child(2){text-align:left}.wrong img{vertical-align:middle}.wrong img.thumb{width:96px;height:96px;object-fit:contain;background:#000}.wrong img.gradcam{width:160px;margin-left:6px}
    .meta{color:#555;font-size:13px}
    @media print{.charts{break-inside:avoid}h2{break-after:avoid}}
    """

    static func esc(_ text: String) -> String { SVGChart.escape(text) }
    static func f(_ v: Double) -> String { EvaluationTextReport.fixed(v) }

    static func rocSeries(_ e: Evaluation) -> [SVGChart.Series] {
        var series = e.classes.enumerated().map { k, c in
            SVGChart.Series(name: "\(c.label) (AUC \(f(c.auc)))", color: SVGChart.palette[k % SVGChart.palette.count], dash: "",
                            points: Array(zip(c.roc.falsePositiveRates, c.roc.truePositiveRates)).map { (x: $0.0, y: $0.1) })
        }
        series.append(SVGChart.Series(name: "macro average (AUC \(f(e.macroAUC)))", color: "#000", dash: "6 3",
                                      points: Array(zip(e.macroROC.falsePositiveRates, e.macroROC.truePositiveRates)).map { (x: $0.0, y: $0.1) }))
        series.append(SVGChart.Series(name: "micro average (AUC \(f(e.microAUC)))", color: "#777", dash: "2 3",
                                      points: Array(zip(e.microROC.falsePositiveRates, e.microROC.truePositiveRates)).map { (x: $0.0, y: $0.1) }))
        return series
    }

    static func prSeries(_ e: Evaluation) -> [SVGChart.Series] {
        // Drawn as scikit-learn's PrecisionRecallDisplay does: a step curve (precision holds
        // until recall reaches the next point), which is what average precision integrates.
        func steps(_ c: PrecisionRecallCurve) -> [(x: Double, y: Double)] {
            var points: [(x: Double, y: Double)] = []
            for i in c.recalls.indices {
                if i > 0 { points.append((x: c.recalls[i], y: c.precisions[i - 1])) }
                points.append((x: c.recalls[i], y: c.precisions[i]))
            }
            return points
        }
        var series = e.classes.enumerated().map { k, c in
            SVGChart.Series(name: "\(c.label) (AP \(f(c.averagePrecision)))", color: SVGChart.palette[k % SVGChart.palette.count], dash: "",
                            points: steps(c.precisionRecall))
        }
        series.append(SVGChart.Series(name: "micro average (AP \(f(e.microAveragePrecision)))", color: "#777", dash: "2 3",
                                      points: steps(e.microPrecisionRecall)))
        return series
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        "<table><tr>" + header.map { "<th>\(esc($0))</th>" }.joined() + "</tr>"
            + rows.map { "<tr>" + $0.map { "<td>\(esc($0))</td>" }.joined() + "</tr>" }.joined() + "</table>"
    }

    static func classificationTable(_ e: Evaluation) -> String {
        var rows = zip(e.labels, e.report.classes).map { [$0, f($1.precision), f($1.recall), f($1.f1), String($1.support)] }
        rows.append(["accuracy", "", "", f(e.report.accuracy), String(e.sampleCount)])
        for (name, r) in [("macro avg", e.report.macroAverage), ("weighted avg", e.report.weightedAverage)] {
            rows.append([name, f(r.precision), f(r.recall), f(r.f1), String(r.support)])
        }
        return table(["", "precision", "recall", "f1-score", "support"], rows)
    }

    static func perClassTable(_ e: Evaluation) -> String {
        let rows = e.classes.enumerated().map { k, c -> [String] in
            let ci = e.bootstrap.map { "\(f($0.classes[k].lower))–\(f($0.classes[k].upper))" } ?? ""
            return [c.label, f(c.auc), ci, f(c.averagePrecision),
                    f(c.sensitivity.value), "\(f(c.sensitivity.lower))–\(f(c.sensitivity.upper))",
                    f(c.specificity.value), "\(f(c.specificity.lower))–\(f(c.specificity.upper))"]
        }
        return table(["class", "AUC", "95% CI (bootstrap)", "AP", "sensitivity", "95% CI (Wilson)", "specificity", "95% CI (Wilson)"], rows)
    }

    static func thumbnail(_ path: String) -> String {
        let lower = path.lowercased()
        let mime = lower.hasSuffix(".png") ? "image/png" : "image/jpeg"
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? Int, size <= thumbnailMaxBytes,
              let data = FileManager.default.contents(atPath: path) else { return "" }
        return "<img class=\"thumb\" alt=\"\" src=\"data:\(mime);base64,\(data.base64EncodedString())\">"
    }

    /// Indices (into `results.paths`) of the images the headline output got wrong, in order.
    static func misclassified(_ results: EvaluationResults) -> [Int] {
        let e = results.primary.averaged
        return e.predicted.indices.filter { e.predicted[$0] != results.truth[$0] }
    }

    /// - Parameter overlays: Grad-CAM overlays (PNG) of misclassified images by index, from
    ///   `MisclassifiedOverlays`; nil when none were made (several models).
    static func render(_ results: EvaluationResults, directory: String, generated: String, overlays: [Int: Data]? = nil) -> String {
        let primary = results.primary
        let e = primary.averaged
        var html = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>cvrnet evaluation</title><style>\(style)</style></head><body>"
        html += "<h1>CVR-Net evaluation of \(esc(directory))</h1>"
        if results.referenceWeights {
            html += "<p class=\"warning\">These results come from the project's UNTRAINED reference weights (seeded random numbers for testing cvrnet). They carry no clinical meaning whatsoever. cvrnet is not a medical device.</p>"
        }
        html += "<p class=\"meta\">\(results.paths.count) images in \(results.classes.count) classes (\(esc(results.classes.joined(separator: ", "))), class folders sorted as Keras flow_from_directory does"
        if !results.failed.isEmpty { html += "; \(results.failed.count) images failed and are left out" }
        html += ". Models: " + results.models.map { esc($0.name) }.joined(separator: ", ")
        html += ". Metrics below are those of \(results.ensemble == nil ? "the model's averaged output" : "the ensemble (mean of the models' probabilities)")"
        html += ". AUC intervals: percentile bootstrap, \(results.bootstrapResamples) resamples, SplitMix64 seed \(results.bootstrapSeed); proportions: Wilson score interval. Generated \(esc(generated)) by cvrnet.</p>"

        html += "<h2>Classification report</h2>" + classificationTable(e)
        html += "<h2>Per class (one-vs-rest)</h2>" + perClassTable(e)
        html += "<p>Macro AUC (the notebook's: TPRs interpolated onto the union of all FPRs) <b>\(f(e.macroAUC))</b>"
        if let b = e.bootstrap { html += " (95% CI \(f(b.macro.lower))–\(f(b.macro.upper)))" }
        html += "; micro AUC <b>\(f(e.microAUC))</b>; micro average precision <b>\(f(e.microAveragePrecision))</b>.</p>"
        html += "<h2>Curves and confusion matrix</h2><div class=\"charts\">"
        html += SVGChart.lineChart(title: "ROC curves", xLabel: "false positive rate", yLabel: "true positive rate", series: rocSeries(e), diagonal: true)
        html += SVGChart.lineChart(title: "Precision-recall curves", xLabel: "recall", yLabel: "precision", series: prSeries(e), diagonal: false)
        html += SVGChart.heatmap(labels: e.labels, counts: e.confusion.counts, fractions: e.confusion.rowNormalized)
        html += "</div>"

        html += "<h2>Per head</h2><p>Each of the five heads alone, then the averaged output the model predicts: what each scale contributes.</p>"
        var headRows = primary.heads.map { [$0.head] + EvaluationTextReport.headRow($0.evaluation).map(f) }
        headRows.append(["averaged"] + EvaluationTextReport.headRow(e).map(f))
        html += table(["head"] + EvaluationTextReport.headColumns, headRows)
        let headSeries = primary.heads.enumerated().map { h, head in
            SVGChart.Series(name: "\(head.head) (macro AUC \(f(head.evaluation.macroAUC)))", color: SVGChart.palette[h % SVGChart.palette.count], dash: "",
                            points: Array(zip(head.evaluation.macroROC.falsePositiveRates, head.evaluation.macroROC.truePositiveRates)).map { (x: $0.0, y: $0.1) })
        } + [SVGChart.Series(name: "averaged (macro AUC \(f(e.macroAUC)))", color: "#000", dash: "6 3",
                             points: Array(zip(e.macroROC.falsePositiveRates, e.macroROC.truePositiveRates)).map { (x: $0.0, y: $0.1) })]
        html += "<div class=\"charts\">" + SVGChart.lineChart(title: "Macro-average ROC per head", xLabel: "false positive rate", yLabel: "true positive rate", series: headSeries, diagonal: true) + "</div>"

        if let folds = results.folds, let ensemble = results.ensemble {
            html += "<h2>Models (folds)</h2><p>Mean ± standard deviation (population, ddof=0) over the models, and the ensemble that averages their probabilities.</p>"
            var rows = results.models.map { [$0.name] + EvaluationTextReport.headRow($0.averaged).map(f) }
            let keys = ["accuracy", "macro_f1", "macro_auc", "micro_auc", "micro_average_precision"]
            rows.append(["mean ± std"] + keys.map { folds[$0].map { "\(f($0.mean)) ± \(f($0.std))" } ?? "" })
            rows.append(["ensemble"] + EvaluationTextReport.headRow(ensemble.averaged).map(f))
            html += table(["model"] + EvaluationTextReport.headColumns, rows)
        }

        let wrong = misclassified(results)
        html += "<h2>Misclassified images (\(wrong.count))</h2>"
        if wrong.isEmpty {
            html += "<p>None.</p>"
        } else {
            if overlays != nil {
                html += "<p class=\"meta\">Beside each image: Grad-CAM of the class the model predicted (the combined map of the five heads, as <code>cvrnet explain</code> draws it; viridis, dark violet 0 to yellow 1), showing where the model looked for it."
                    + (results.referenceWeights ? " With untrained weights the map shows nothing about the image." : "") + "</p>"
            } else if results.ensemble != nil {
                html += "<p class=\"meta\">No Grad-CAM overlays: the ensemble's prediction is the mean of several models' outputs and has no Grad-CAM of its own (run <code>cvrnet explain</code> with one model's weights).</p>"
            }
            html += "<table class=\"wrong\"><tr><th>image</th><th>file</th><th>true</th><th>predicted</th><th>confidence</th>"
                + results.classes.map { "<th>p(\(esc($0)))</th>" }.joined() + "</tr>"
            let probabilities = results.ensemble != nil ? ensembleProbabilities(results) : results.modelProbabilities[0]
            for (n, i) in wrong.enumerated() {
                let p = probabilities[i]
                var thumb = n < thumbnailLimit ? thumbnail(directory + "/" + results.paths[i]) : ""
                if let png = overlays?[i] {
                    thumb += "<img class=\"gradcam\" alt=\"Grad-CAM of \(esc(results.classes[e.predicted[i]]))\" src=\"data:image/png;base64,\(png.base64EncodedString())\">"
                }
                html += "<tr class=\"miss\"><td>\(thumb)</td><td>\(esc(results.paths[i]))</td><td>\(esc(results.classes[results.truth[i]]))</td>"
                    + "<td>\(esc(results.classes[e.predicted[i]]))</td><td>\(f(p[e.predicted[i]]))</td>"
                    + p.map { "<td>\(f($0))</td>" }.joined() + "</tr>"
            }
            html += "</table>"
            if wrong.count > thumbnailLimit { html += "<p class=\"meta\">Thumbnails (and Grad-CAM overlays) shown for the first \(thumbnailLimit).</p>" }
        }
        if !results.failed.isEmpty {
            html += "<h2>Images that failed (\(results.failed.count))</h2><ul>" + results.failed.map { "<li>\(esc($0))</li>" }.joined() + "</ul>"
        }
        return html + "</body></html>\n"
    }

    static func ensembleProbabilities(_ results: EvaluationResults) -> [[Double]] {
        Ensemble.mean(results.modelProbabilities)
    }
}
