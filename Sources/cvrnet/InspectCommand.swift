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
        let report = WeightsInspection.inspect(path: path, options: weightsOptions)
        for problem in report.problems { Console.error(problem) }
        Console.out(json ? report.json() : report.text())
        if !report.problems.isEmpty { throw ExitStatus.weightsUnusable.code }
    }
}

/// Everything `inspect` finds out about a weights file.
struct WeightsInspection {
    struct HeadParameters {
        let scale: HeadScale
        let layers: [String]
        let parameters: Int
    }

    var path: String
    var sizeBytes: Int?
    var layout: KerasWeightsLayout?
    var keras3LayerNaming: Keras3LayerNaming?
    var namingScheme: NamingScheme?
    var kerasVersion: String?
    var backend: String?
    var classCount: Int?
    var labels: [String]?
    var isReference = false
    var referenceNote: String?
    var resnetParameters = 0
    var xceptionParameters = 0
    var heads: [HeadParameters] = []
    var otherParameters = 0
    var totalParameters = 0
    var layerCount = 0
    var loads = false
    private(set) var problems: [String] = []

    mutating func problem(_ text: String) {
        let line = Console.singleLine(text)
        if !problems.contains(line) { problems.append(line) }
    }

    static let referenceAttribute = "cvrnet_reference_weights"

    /// - Parameter checkSafety: first read the file in a child process (`WeightsSafetyCheck`);
    ///   false only in that child.
    static func inspect(path: String, options: WeightsOptions, checkSafety: Bool = true) -> WeightsInspection {
        var report = WeightsInspection(path: path)
        if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
           let size = attributes[.size] as? NSNumber {
            report.sizeBytes = size.intValue
        }

        // The Keras reader stops at the first structural problem; walk the HDF5 tree
        // ourselves so that every problem is found, and let the reader add its own verdict.
        var hdf5: HDF5File?
        var isArchive = false  // a .keras zip: only KerasWeightsFile opens it
        if checkSafety, let unsafeToOpen = WeightsSafetyCheck.problem(path: path) {
            report.problem(unsafeToOpen)  // never opened in this process
            return report
        } else {
            do {
                hdf5 = try HDF5File(path: path)
            } catch {
                if case .kerasArchive = error { isArchive = true } else { report.problem(error.description) }
            }
        }
        var tree: KerasTree?
        if hdf5 != nil || isArchive {
            if let hdf5 { tree = report.walk(hdf5) }
            do {
                let keras = try KerasWeightsFile(path: path, keras3LayerTable: CVRNetModel.keras3LayerTable)
                if tree == nil, keras.keras3LayerNaming != nil {
                    // Keras 3 .weights.h5 / .keras: the layers as the reader mapped them.
                    tree = report.walk(keras)
                    hdf5 = keras.hdf5
                }
            } catch {
                report.problem(error.description)
            }
        }

        // Labels as classify/score would use them.
        var labels: [String]?
        var labelSource = "the labels"
        do {
            if let resolved = try options.resolvedLabels(weightsPath: path) {
                labels = resolved.labels
                labelSource = resolved.source
            }
        } catch {
            report.problem(error.message)
        }

        // Load the model exactly as classify and score do.
        do {
            let model = try CVRNetModel(weightsPath: path, labels: labels)
            report.loads = true
            report.labels = model.labels
            report.classCount = model.classCount
            report.namingScheme = model.weights.namingScheme
            report.isReference = model.weights.isReferenceWeights
            report.referenceNote = model.weights.referenceNote
        } catch {
            if case .labelCount(let given, let expected, _) = error {
                report.problem("\(labelSource) name \(given) classes but the weights have \(expected)")
                // The weights themselves may be fine: check them without the labels.
                if let model = try? CVRNetModel(weightsPath: path) {
                    report.classCount = model.classCount
                    report.namingScheme = model.weights.namingScheme
                    report.isReference = model.weights.isReferenceWeights
                    report.referenceNote = model.weights.referenceNote
                }
            } else {
                report.problem(error.description)
                // Loading stops at the first problem; read every weight to find the others.
                if let hdf5, let tree { report.readEveryWeight(hdf5, tree) }
            }
            if report.labels == nil, let count = report.classCount {
                report.labels = labels ?? ClassLabels.defaults(count: count)
            }
        }
        return report
    }

    /// The Keras 2 layer tree found in the file.
    struct KerasTree {
        /// "" (weights-only file) or "/model_weights" (full model file).
        var root: String
        var layerNames: [String]
        /// For each layer with a readable `weight_names`: (name in weight_names, dataset path) pairs.
        var weights: [String: [(name: String, dataset: String)]]
    }

    /// Structure, attributes and parameter counts (shapes only, no values read). Goes on past
    /// every problem it meets, recording each.
    private mutating func walk(_ file: HDF5File) -> KerasTree? {
        let root: String
        let layerNames: [String]
        if let names = file.kerasStringArrayAttribute("layer_names", at: "/") {
            layout = .weightsOnly
            root = ""
            layerNames = names
        } else if file.isGroup("/model_weights"), let names = file.kerasStringArrayAttribute("layer_names", at: "/model_weights") {
            layout = .fullModel
            root = "/model_weights"
            layerNames = names
        } else {
            return nil  // KerasWeightsFile says why (Keras 3 layout, not Keras at all, ...)
        }
        let attributesAt = root.isEmpty ? "/" : root
        kerasVersion = file.stringAttribute("keras_version", at: attributesAt) ?? file.stringAttribute("keras_version")
        backend = file.stringAttribute("backend", at: attributesAt) ?? file.stringAttribute("backend")
        referenceNote = file.stringAttribute(Self.referenceAttribute)
        isReference = referenceNote != nil
        detectNamingScheme(layerNames)

        var tree = KerasTree(root: root, layerNames: layerNames, weights: [:])
        var parameters: [String: Int] = [:]
        var shapes: [String: [[Int]]] = [:]
        for layer in layerNames {
            let group = root + "/" + layer
            guard file.isGroup(group) else {
                problem(KerasFormatError.layerGroupMissing(path: path, layer: layer).description)
                continue
            }
            guard let weightNames = file.kerasStringArrayAttribute("weight_names", at: group) else {
                problem(KerasFormatError.notKerasWeights(path: path, missing: "the group of layer '\(layer)' has no weight_names attribute").description)
                continue
            }
            var count = 0
            var present: [(name: String, dataset: String)] = []
            for name in weightNames {
                let dataset = group + "/" + name
                guard file.isDataset(dataset) else {
                    problem(KerasFormatError.weightMissing(path: path, layer: layer, weight: name).description)
                    continue
                }
                do {
                    let shape = try file.datasetShape(dataset)
                    shapes[layer, default: []].append(shape)
                    count += shape.reduce(1, *)
                    present.append((name, dataset))
                } catch {
                    problem(error.description)
                }
            }
            tree.weights[layer] = present
            parameters[layer] = count
        }
        summarize(layerNames: layerNames, parameters: parameters, shapes: shapes)
        return tree
    }

    /// The same for a Keras 3 file, whose layers `KerasWeightsFile` has mapped to names
    /// (from config.json, the vars name attributes, or CVR-Net's Keras 3 layer table).
    private mutating func walk(_ file: KerasWeightsFile) -> KerasTree {
        layout = file.layout
        keras3LayerNaming = file.keras3LayerNaming
        kerasVersion = file.kerasVersion
        backend = file.backend
        referenceNote = file.rootAttributes[Self.referenceAttribute]
        isReference = referenceNote != nil
        detectNamingScheme(file.layerNames)
        var tree = KerasTree(root: "", layerNames: file.layerNames, weights: [:])
        var parameters: [String: Int] = [:]
        var shapes: [String: [[Int]]] = [:]
        for layer in file.layerNames {
            var count = 0
            var present: [(name: String, dataset: String)] = []
            for name in (try? file.weightNames(ofLayer: layer)) ?? [] {
                do {
                    let shape = try file.weightShape(ofLayer: layer, named: name)
                    shapes[layer, default: []].append(shape)
                    count += shape.reduce(1, *)
                    present.append((name, try file.datasetPath(ofLayer: layer, named: name)))
                } catch {
                    problem(error.description)
                }
            }
            tree.weights[layer] = present
            parameters[layer] = count
        }
        summarize(layerNames: file.layerNames, parameters: parameters, shapes: shapes)
        return tree
    }

    private mutating func detectNamingScheme(_ layerNames: [String]) {
        namingScheme = NamingScheme.detect(layerNames: Set(layerNames))
        if namingScheme == nil {
            problem("'\(path)': neither res_conv1_conv (tf.keras) nor res_conv1 (Keras 2.3.1) is among its layers: not a CVR-Net weights file")
        }
    }

    /// Parameter counts per encoder and head, and the class count, from the layers' shapes.
    private mutating func summarize(layerNames: [String], parameters: [String: Int], shapes: [String: [[Int]]]) {
        let names = Set(layerNames)
        layerCount = layerNames.count
        totalParameters = parameters.values.reduce(0, +)

        var assigned = Set<String>()
        for (layer, count) in parameters where layer.hasPrefix("res_") {
            resnetParameters += count
            assigned.insert(layer)
        }
        for (layer, count) in parameters where layer.hasPrefix("xce_") {
            xceptionParameters += count
            assigned.insert(layer)
        }
        if !layerNames.contains(where: { $0.hasPrefix("res_") && (parameters[$0] ?? 0) > 0 }) {
            problem("'\(path)' has no ResNet50 layers (res_*) with weights")
        }
        if !layerNames.contains(where: { $0.hasPrefix("xce_") && (parameters[$0] ?? 0) > 0 }) {
            problem("'\(path)' has no Xception layers (xce_*) with weights")
        }

        // Head k: Dense 512, Dense 128, MKH_k (Dense 64), Dense N (the layout's head rule).
        let dense = CVRNetLayout.autoNamedDense(in: layerNames)
        let headLayers = CVRNetLayout.headLayers(autoNamedDense: dense)
        var finalUnits: [Int] = []
        if headLayers == nil {
            problem("'\(path)' has \(dense.count) auto-named Dense layers (dense, dense_N), expected \(CVRNetLayout.autoNamedDenseCount) (three per head besides MKH_k), so the heads cannot be told apart")
        }
        for scale in HeadScale.allCases {
            let mkh = CVRNetLayout.namedHeadLayer(scale)
            let layers = headLayers?[scale.rawValue - 1] ?? [mkh]
            if !names.contains(mkh) { problem("'\(path)' has no layer \(mkh) (the Dense 64 layer of head \(scale.rawValue))") }
            let count = layers.reduce(0) { $0 + (parameters[$1] ?? 0) }
            heads.append(HeadParameters(scale: scale, layers: layers, parameters: count))
            assigned.formUnion(layers)
            if layers.count == 4, let kernel = shapes[layers[3]]?.first, kernel.count == 2 {
                finalUnits.append(kernel[1])
            }
        }
        if finalUnits.count == HeadScale.allCases.count {
            if Set(finalUnits).count == 1 {
                classCount = finalUnits[0]
            } else {
                problem(CVRNetError.headsDisagree(path: path, classCounts: finalUnits).description)
            }
        }
        otherParameters = parameters.filter { !assigned.contains($0.key) }.values.reduce(0, +)
    }

    /// Reads every weight, recording each one that cannot be read or holds NaN or infinity.
    private mutating func readEveryWeight(_ file: HDF5File, _ tree: KerasTree) {
        for layer in tree.layerNames {
            for (name, dataset) in tree.weights[layer] ?? [] {
                do {
                    let (_, values) = try file.readFloatDataset(dataset)
                    if let index = values.firstIndex(where: { !$0.isFinite }) {
                        let value = values[index]
                        let text = value.isNaN ? "NaN" : (value < 0 ? "-Inf" : "+Inf")
                        problem(KerasFormatError.nonFiniteValue(path: path, layer: layer, weight: name, value: text, index: index).description)
                    }
                } catch {
                    problem(error.description)
                }
            }
        }
    }

    // MARK: Output

    var formatDescription: String? {
        switch layout {
        case .weightsOnly: return "Keras 2 HDF5, weights only (save_weights)"
        case .fullModel:
            if kerasVersion?.hasPrefix("3.") == true { return "Keras 3 legacy HDF5, full model (model.save .h5)" }
            return "Keras 2 HDF5, full model (model.save)"
        case .keras3Weights: return "Keras 3 .weights.h5 (save_weights)"
        case .keras3Archive: return "Keras 3 .keras archive (model.save)"
        case nil: return nil
        }
    }

    /// Where a Keras 3 file's layer names came from.
    var layerNamingDescription: String? {
        switch keras3LayerNaming {
        case .archiveConfig: return "from the archive's config.json"
        case .nameAttributes: return "from the vars 'name' attributes (Keras 3.6 or later)"
        case .layerTable: return "none stored (Keras 3.0-3.5); mapped by CVR-Net's Keras 3 layer order"
        case nil: return nil
        }
    }

    func text() -> String {
        var lines: [(String, String)] = [("file", path)]
        if let sizeBytes {
            lines.append(("size", sizeBytes >= 1_000_000
                          ? String(format: "%.1f MB", Double(sizeBytes) / 1e6) + " (\(Self.grouped(sizeBytes)) bytes)"
                          : "\(Self.grouped(sizeBytes)) bytes"))
        }
        lines.append(("format", formatDescription ?? "unknown"))
        lines.append(("naming scheme", namingScheme?.description ?? "unknown"))
        if let layerNamingDescription { lines.append(("layer names", layerNamingDescription)) }
        lines.append(("keras_version", kerasVersion ?? "(none)"))
        lines.append(("backend", backend ?? "(none)"))
        if let classCount {
            lines.append(("classes", "\(classCount)" + (labels.map { ": " + $0.joined(separator: ", ") } ?? "")))
        } else {
            lines.append(("classes", "unknown"))
        }
        lines.append(("reference weights", isReference
                      ? "yes: " + (referenceNote ?? "untrained; predictions carry no clinical meaning")
                      : "no"))
        var out = lines.map { $0.0.padding(toLength: 19, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n") + "\n"
        if layout != nil {
            var rows: [(String, Int)] = [("ResNet50 encoder (res_*)", resnetParameters),
                                         ("Xception encoder (xce_*)", xceptionParameters)]
            for head in heads {
                rows.append(("head \(head.scale.rawValue) \(head.scale.description) (\(head.layers.joined(separator: ", ")))", head.parameters))
            }
            if otherParameters > 0 { rows.append(("other layers", otherParameters)) }
            rows.append(("total", totalParameters))
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
        let headObjects = heads.map { head in
            JSON.object([("head", JSON.number(head.scale.rawValue)), ("identifier", JSON.string(head.scale.identifier)),
                         ("description", JSON.string(head.scale.description)),
                         ("layers", JSON.array(head.layers.map(JSON.string))), ("parameters", JSON.number(head.parameters))])
        }
        let parameters = JSON.object([
            ("resnet50", JSON.number(resnetParameters)), ("xception", JSON.number(xceptionParameters)),
            ("heads", JSON.array(headObjects)), ("other", JSON.number(otherParameters)), ("total", JSON.number(totalParameters)),
        ])
        let layoutName: String? = layout.map {
            switch $0 {
            case .weightsOnly: return "weights-only"
            case .fullModel: return "full-model"
            case .keras3Weights: return "keras3-weights"
            case .keras3Archive: return "keras3-archive"
            }
        }
        return JSON.object([
            ("file", JSON.string(path)), ("size_bytes", sizeBytes.map(JSON.number) ?? "null"),
            ("format", optional(layoutName)), ("format_description", optional(formatDescription)),
            ("naming_scheme", optional(namingScheme?.description)),
            ("keras3_layer_names", optional(keras3LayerNaming?.rawValue)),
            ("keras_version", optional(kerasVersion)), ("backend", optional(backend)),
            ("class_count", classCount.map(JSON.number) ?? "null"),
            ("labels", labels.map { JSON.array($0.map(JSON.string)) } ?? "null"),
            ("reference_weights", isReference ? "true" : "false"), ("reference_note", optional(referenceNote)),
            ("parameters", parameters), ("loads", loads ? "true" : "false"),
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
