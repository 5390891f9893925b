import Foundation
import Testing
import TestSupport
@testable import Evaluation

/// Every metric against scikit-learn 1.9.1 on the cases of Tests/Fixtures/evaluation
/// (tools/make_evaluation_fixture.py).
///
/// Tolerance: 1e-12 relative (absolute below 1). The curves are ratios of integer counts,
/// computed with the same divisions as NumPy, so they agree to the last bit; the areas and
/// averages are sums that NumPy adds pairwise and Swift in order, which can differ by a few
/// units in the last place (~1e-16 relative) but never more than 1e-12.
struct ScikitLearnParityTests {
    static let tolerance = 1e-12

    struct Case: CustomTestStringConvertible, @unchecked Sendable {
        let json: [String: Any]
        var name: String { json["name"] as! String }
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        let url = RepositoryPaths.fixtures.appendingPathComponent("evaluation/metrics.json")
        guard let data = try? Data(contentsOf: url),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let cases = root["cases"] as? [[String: Any]] else { return [] }
        return cases.map(Case.init)
    }()

    static func number(_ value: Any?) -> Double {
        switch value {
        case let string as String:
            switch string {
            case "NaN": return .nan
            case "Infinity": return .infinity
            case "-Infinity": return -.infinity
            default: return .nan
            }
        case let number as NSNumber: return number.doubleValue
        default: return .nan
        }
    }

    static func numbers(_ value: Any?) -> [Double] { (value as? [Any] ?? []).map(number) }

    /// Worst relative difference (NaN must match NaN, infinities must match exactly).
    static func worst(_ a: [Double], _ b: [Double], _ what: String, _ worstSeen: inout Double) {
        #expect(a.count == b.count, "\(what): \(a.count) values, scikit-learn has \(b.count)")
        guard a.count == b.count else { return }
        for (x, y) in zip(a, b) {
            if x.isNaN || y.isNaN || x.isInfinite || y.isInfinite {
                #expect((x.isNaN && y.isNaN) || x == y, "\(what): \(x) vs scikit-learn \(y)")
                continue
            }
            let difference = abs(x - y) / max(1, abs(y))
            worstSeen = max(worstSeen, difference)
            #expect(difference <= tolerance, "\(what): \(x) vs scikit-learn \(y)")
        }
    }

    @Test func fixtureIsPresent() {
        #expect(Self.cases.count == 8, "Tests/Fixtures/evaluation/metrics.json is missing or changed: run tools/make_evaluation_fixture.py")
    }

    @Test(arguments: cases)
    func matchesScikitLearn(_ testCase: Case) throws {
        let json = testCase.json
        let truth = (json["truth"] as! [NSNumber]).map(\.intValue)
        let probabilities = (json["probabilities"] as! [[Any]]).map { $0.map(Self.number) }
        let classCount = probabilities[0].count
        let labels = (0..<classCount).map { "c\($0)" }
        let boot = json["bootstrap"] as! [String: Any]
        let evaluation = Evaluation(labels: labels, truth: truth, probabilities: probabilities,
                                    bootstrapResamples: (boot["resamples"] as! NSNumber).intValue,
                                    seed: (boot["seed"] as! NSNumber).uint64Value)
        var worst = 0.0
        let name = testCase.name

        #expect(evaluation.predicted == (json["predicted"] as! [NSNumber]).map(\.intValue), "\(name): argmax")
        #expect(evaluation.confusion.counts == (json["confusion"] as! [[NSNumber]]).map { $0.map(\.intValue) }, "\(name): confusion matrix")
        Self.worst(evaluation.confusion.rowNormalized.flatMap { $0 }, (json["confusionNormalized"] as! [[Any]]).flatMap(Self.numbers), "\(name) normalized confusion", &worst)
        Self.worst([evaluation.report.accuracy], [Self.number(json["accuracy"])], "\(name) accuracy", &worst)
        for (key, row) in [("macroAverage", evaluation.report.macroAverage), ("weightedAverage", evaluation.report.weightedAverage)] {
            let expected = json[key] as! [String: Any]
            Self.worst([row.precision, row.recall, row.f1, Double(row.support)],
                       ["precision", "recall", "f1-score", "support"].map { Self.number(expected[$0]) }, "\(name) \(key)", &worst)
        }
        let classes = json["classes"] as! [[String: Any]]
        for (k, expected) in classes.enumerated() {
            let mine = evaluation.classes[k]
            let roc = expected["roc"] as! [String: Any]
            Self.worst(mine.roc.falsePositiveRates, Self.numbers(roc["fpr"]), "\(name) class \(k) fpr", &worst)
            Self.worst(mine.roc.truePositiveRates, Self.numbers(roc["tpr"]), "\(name) class \(k) tpr", &worst)
            Self.worst(mine.roc.thresholds, Self.numbers(roc["thresholds"]), "\(name) class \(k) roc thresholds", &worst)
            Self.worst([mine.auc], [Self.number(expected["auc"])], "\(name) class \(k) auc", &worst)
            let pr = expected["pr"] as! [String: Any]
            Self.worst(mine.precisionRecall.precisions, Self.numbers(pr["precision"]), "\(name) class \(k) precision curve", &worst)
            Self.worst(mine.precisionRecall.recalls, Self.numbers(pr["recall"]), "\(name) class \(k) recall curve", &worst)
            Self.worst(mine.precisionRecall.thresholds, Self.numbers(pr["thresholds"]), "\(name) class \(k) pr thresholds", &worst)
            Self.worst([mine.averagePrecision], [Self.number(expected["averagePrecision"])], "\(name) class \(k) AP", &worst)
            for (key, interval) in [("sensitivity", mine.sensitivity), ("specificity", mine.specificity)] {
                let e = expected[key] as! [String: Any]
                Self.worst([interval.value, interval.lower, interval.upper], ["value", "lower", "upper"].map { Self.number(e[$0]) },
                           "\(name) class \(k) \(key)", &worst)
            }
            let report = expected["report"] as! [String: Any]
            let row = evaluation.report.classes[k]
            Self.worst([row.precision, row.recall, row.f1, Double(row.support)],
                       ["precision", "recall", "f1-score", "support"].map { Self.number(report[$0]) }, "\(name) class \(k) report", &worst)
        }
        let macro = json["macroROC"] as! [String: Any]
        Self.worst([evaluation.macroAUC], [Self.number(macro["auc"])], "\(name) macro AUC", &worst)
        if macro["fpr"] != nil {
            Self.worst(evaluation.macroROC.falsePositiveRates, Self.numbers(macro["fpr"]), "\(name) macro fpr", &worst)
            Self.worst(evaluation.macroROC.truePositiveRates, Self.numbers(macro["tpr"]), "\(name) macro tpr", &worst)
        }
        let micro = json["microROC"] as! [String: Any]
        Self.worst(evaluation.microROC.falsePositiveRates, Self.numbers(micro["fpr"]), "\(name) micro fpr", &worst)
        Self.worst(evaluation.microROC.truePositiveRates, Self.numbers(micro["tpr"]), "\(name) micro tpr", &worst)
        Self.worst(evaluation.microROC.thresholds, Self.numbers(micro["thresholds"]), "\(name) micro thresholds", &worst)
        Self.worst([evaluation.microAUC], [Self.number(micro["auc"])], "\(name) micro AUC", &worst)
        let microPR = json["microPR"] as! [String: Any]
        Self.worst(evaluation.microPrecisionRecall.precisions, Self.numbers(microPR["precision"]), "\(name) micro precision curve", &worst)
        Self.worst(evaluation.microPrecisionRecall.recalls, Self.numbers(microPR["recall"]), "\(name) micro recall curve", &worst)
        Self.worst([evaluation.microAveragePrecision], [Self.number(json["microAveragePrecision"])], "\(name) micro AP", &worst)

        let bootstrap = try #require(evaluation.bootstrap)
        let expectedClasses = boot["classes"] as! [[String: Any]]
        for (k, e) in expectedClasses.enumerated() {
            #expect(bootstrap.classes[k].resamplesUsed == (e["resamplesUsed"] as! NSNumber).intValue, "\(name) class \(k) bootstrap rounds")
            Self.worst([bootstrap.classes[k].lower, bootstrap.classes[k].upper], [Self.number(e["lower"]), Self.number(e["upper"])],
                       "\(name) class \(k) bootstrap interval", &worst)
        }
        let m = boot["macro"] as! [String: Any]
        #expect(bootstrap.macro.resamplesUsed == (m["resamplesUsed"] as! NSNumber).intValue, "\(name) macro bootstrap rounds")
        Self.worst([bootstrap.macro.lower, bootstrap.macro.upper], [Self.number(m["lower"]), Self.number(m["upper"])], "\(name) macro bootstrap", &worst)
        print("evaluation parity \(name): largest relative difference \(worst)")
    }
}
