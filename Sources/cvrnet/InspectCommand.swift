import ArgumentParser
import CVRNet
import Foundation
import KerasFormat

/// `cvrnet inspect [WEIGHTS]`
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a weights file and check that it is a usable CVR-Net.",
        discussion: """
        Prints the file's format (Keras 2 weights-only save_weights file or full model.save \
        file; Keras 3 .weights.h5, .keras archive or legacy .h5, with where the Keras 3 layer \
        names came from), layer naming scheme (Keras 2.3.1 or tf.keras), keras_version and backend \
        attributes, the number of classes and the labels that would be used, the number of \
        parameters of the ResNet50 encoder (layers res_*), the Xception encoder (xce_*), each \
        of the five heads (MKH_k and its Dense layers) and in total, and whether the file holds \
        this project's untrained reference weights.

        The model is then loaded as classify and score would load it. Every problem found \
        (unreadable datasets, NaN or infinite weights, missing layers, wrong shapes, heads that \
        disagree on the class count, labels that do not fit, ...) is printed on stderr, one line \
        each, and the exit status is 2.

        --json prints one JSON object instead: file, size_bytes, format (weights-only, \
        full-model, keras3-weights, keras3-archive), naming_scheme, keras3_layer_names \
        (archiveConfig, nameAttributes, layerTable or null), keras_version, backend, class_count, labels, reference_weights, reference_note, \
        parameters {resnet50, xception, heads [{head, identifier, description, layers, \
        parameters}], other, total}, loads, problems.

        \(ExitStatus.helpSection([.success, .weightsUnusable, .usage]))
        """)

    @OptionGroup var weightsOptions: WeightsOptions

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    @Argument(help: ArgumentHelp("The weights file (instead of --weights).", valueName: "weights"))
    var file: String?

    func validate() throws {
        if weightsOptions.weightsPaths.count > 1 { throw ValidationError("inspect reads one weights file; give --weights once") }
        if file != nil && weightsOptions.weights != nil {
            throw ValidationError("give the weights file either as an argument or with --weights, not both")
        }
    }

    func run() throws {
        guard let (path, _) = weightsOptions.resolvedWeightsPath(positional: file) else {
            _ = try weightsOptions.loadModel()  // prints why and throws
            return
        }
        let report = WeightsInspection(path: path, options: weightsOptions)
        for problem in report.problems { Console.error(problem) }
        Console.out(json ? report.json() : report.text())
        if !report.problems.isEmpty { throw ExitStatus.weightsUnusable.code }
    }
}

/// `inspect`'s report: the library's diagnosis of the file (`CVRNetModel.diagnose`), with the
/// labels resolved as classify and score resolve them, as text or JSON.
struct WeightsInspection {
    let diagnosis: WeightsDiagnosis
    /// One line each, in the order found: the file's problems, then the labels'.
    let problems: [String]

    /// - Parameter checkSafety: first read the file in a child process (`WeightsSafetyCheck`).
    init(path: String, options: WeightsOptions, checkSafety: Bool = true) {
        var problems: [String] = []
        func note(_ line: String) {
            let line = Console.singleLine(line)
            if !problems.contains(line) { problems.append(line) }
        }
        if checkSafety, let unsafeToOpen = WeightsSafetyCheck.problem(path: path) {
            diagnosis = WeightsDiagnosis.unread(path: path)  // never opened in this process
            note(unsafeToOpen)
            self.problems = problems
            return
        }
        // Labels as classify/score would use them.
        var labels: (labels: [String], source: String)?
        var labelsProblem: String?
        do {
            labels = try options.resolvedLabels(weightsPath: path)
        } catch {
            labelsProblem = error.message
        }
        diagnosis = CVRNetModel.diagnose(weightsPath: path, labels: labels?.labels)
        for problem in diagnosis.problems {
            note(ErrorMessages.weightsProblem(problem, path: path, labelsSource: labels?.source))
        }
        if let labelsProblem { note(labelsProblem) }
        self.problems = problems
    }

    // MARK: Output

    var formatDescription: String? {
        switch diagnosis.layout {
        case .weightsOnly: return "Keras 2 HDF5, weights only (save_weights)"
        case .fullModel:
            if diagnosis.kerasVersion?.hasPrefix("3.") == true { return "Keras 3 legacy HDF5, full model (model.save .h5)" }
            return "Keras 2 HDF5, full model (model.save)"
        case .keras3Weights: return "Keras 3 .weights.h5 (save_weights)"
        case .keras3Archive: return "Keras 3 .keras archive (model.save)"
        case nil: return nil
        }
    }

    /// Where a Keras 3 file's layer names came from.
    var layerNamingDescription: String? {
        switch diagnosis.keras3LayerNaming {
        case .archiveConfig: return "from the archive's config.json"
        case .nameAttributes: return "from the vars 'name' attributes (Keras 3.6 or later)"
        case .layerTable: return "none stored (Keras 3.0-3.5); mapped by CVR-Net's Keras 3 layer order"
        case nil: return nil
        }
    }

    func text() -> String {
        var lines: [(String, String)] = [("file", diagnosis.path)]
        if let sizeBytes = diagnosis.sizeBytes {
            lines.append(("size", sizeBytes >= 1_000_000
                          ? String(format: "%.1f MB", Double(sizeBytes) / 1e6) + " (\(Self.grouped(sizeBytes)) bytes)"
                          : "\(Self.grouped(sizeBytes)) bytes"))
        }
        lines.append(("format", formatDescription ?? "unknown"))
        lines.append(("naming scheme", diagnosis.namingScheme?.description ?? "unknown"))
        if let layerNamingDescription { lines.append(("layer names", layerNamingDescription)) }
        lines.append(("keras_version", diagnosis.kerasVersion ?? "(none)"))
        lines.append(("backend", diagnosis.backend ?? "(none)"))
        if let classCount = diagnosis.classCount {
            lines.append(("classes", "\(classCount)" + (diagnosis.labels.map { ": " + $0.joined(separator: ", ") } ?? "")))
        } else {
            lines.append(("classes", "unknown"))
        }
        lines.append(("reference weights", diagnosis.isReference
                      ? "yes: " + (diagnosis.referenceNote ?? "untrained; predictions carry no clinical meaning")
                      : "no"))
        var out = lines.map { $0.0.padding(toLength: 19, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n") + "\n"
        if diagnosis.layout != nil {
            var rows: [(String, Int)] = [("ResNet50 encoder (res_*)", diagnosis.resnetParameters),
                                         ("Xception encoder (xce_*)", diagnosis.xceptionParameters)]
            for head in diagnosis.heads {
                rows.append(("head \(head.scale.rawValue) \(head.scale.description) (\(head.layers.joined(separator: ", ")))", head.parameters))
            }
            if diagnosis.otherParameters > 0 { rows.append(("other layers", diagnosis.otherParameters)) }
            rows.append(("total", diagnosis.totalParameters))
            let width = rows.map(\.0.count).max() ?? 0
            out += "parameters\n"
            for (name, count) in rows {
                let number = Self.grouped(count)
                out += "  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                    + String(repeating: " ", count: max(0, 11 - number.count)) + number + "\n"
            }
        }
        out += "status".padding(toLength: 19, withPad: " ", startingAt: 0)
            + (problems.isEmpty ? "OK: loads as a CVR-Net" : "\(problems.count) problem\(problems.count == 1 ? "" : "s") (listed on stderr)") + "\n"
        return out
    }

    func json() -> String {
        func optional(_ s: String?) -> String { s.map(JSON.string) ?? "null" }
        let headObjects = diagnosis.heads.map { head in
            JSON.object([("head", JSON.number(head.scale.rawValue)), ("identifier", JSON.string(head.scale.identifier)),
                         ("description", JSON.string(head.scale.description)),
                         ("layers", JSON.array(head.layers.map(JSON.string))), ("parameters", JSON.number(head.parameters))])
        }
        let parameters = JSON.object([
            ("resnet50", JSON.number(diagnosis.resnetParameters)), ("xception", JSON.number(diagnosis.xceptionParameters)),
            ("heads", JSON.array(headObjects)), ("other", JSON.number(diagnosis.otherParameters)), ("total", JSON.number(diagnosis.totalParameters)),
        ])
        let layoutName: String? = diagnosis.layout.map {
            switch $0 {
            case .weightsOnly: return "weights-only"
            case .fullModel: return "full-model"
            case .keras3Weights: return "keras3-weights"
            case .keras3Archive: return "keras3-archive"
            }
        }
        return JSON.object([
            ("file", JSON.string(diagnosis.path)), ("size_bytes", diagnosis.sizeBytes.map(JSON.number) ?? "null"),
            ("format", optional(layoutName)), ("format_description", optional(formatDescription)),
            ("naming_scheme", optional(diagnosis.namingScheme?.description)),
            ("keras3_layer_names", optional(diagnosis.keras3LayerNaming?.rawValue)),
            ("keras_version", optional(diagnosis.kerasVersion)), ("backend", optional(diagnosis.backend)),
            ("class_count", diagnosis.classCount.map(JSON.number) ?? "null"),
            ("labels", diagnosis.labels.map { JSON.array($0.map(JSON.string)) } ?? "null"),
            ("reference_weights", diagnosis.isReference ? "true" : "false"), ("reference_note", optional(diagnosis.referenceNote)),
            ("parameters", parameters), ("loads", diagnosis.loads ? "true" : "false"),
            ("problems", JSON.array(problems.map(JSON.string))),
        ]) + "\n"
    }

    /// 23587712 -> "23,587,712".
    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }
}
