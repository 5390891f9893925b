import Evaluation
import Foundation

/// The files `evaluate` writes, each complete or not at all: written under a temporary name
/// beside the target, then renamed into place (an interrupted run leaves no half report).
enum EvaluationOutputs {
    struct Failure: Error { let message: String }

    static func json(_ results: EvaluationResults) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // JSON has no NaN or infinity (an undefined AUC, the +inf first ROC threshold).
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try encoder.encode(results)
    }

    /// --predictions FILE.csv: path, true class, predicted class, confidence, the probabilities of the
    /// evaluated output (the ensemble's with several models), then each model's.
    static func predictionsCSV(_ results: EvaluationResults) -> String {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        let e = results.primary.averaged
        let several = results.models.count > 1
        let probabilities = several ? EvaluationHTMLReport.ensembleProbabilities(results) : results.modelProbabilities[0]
        var header = ["path", "true", "predicted", "correct", "confidence"] + results.classes.map { "p_" + $0 }
        if several {
            for m in results.models.indices { header += results.classes.map { "model\(m + 1)_p_" + $0 } }
        }
        var text = header.map(field).joined(separator: ",") + "\n"
        for i in results.paths.indices {
            var row = [results.paths[i], results.classes[results.truth[i]], results.classes[e.predicted[i]],
                       e.predicted[i] == results.truth[i] ? "1" : "0", "\(probabilities[i][e.predicted[i]])"]
            row += probabilities[i].map { "\($0)" }
            if several { for table in results.modelProbabilities { row += table[i].map { "\($0)" } } }
            text += row.map(field).joined(separator: ",") + "\n"
        }
        return text
    }

    /// Writes `data` to `path` through `path.partial-<pid>` and a rename (rename(2) replaces an
    /// existing file atomically: readers see the old file or the new one, never a mix).
    static func writeFile(_ data: Data, to path: String) throws(Failure) {
        let temporary = path + ".partial-\(getpid())"
        do {
            try data.write(to: URL(fileURLWithPath: temporary))
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw Failure(message: "cannot write '\(path)': \(WeightsOptions.describe(error))")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw Failure(message: "cannot write '\(path)': \(reason)")
        }
    }
}
