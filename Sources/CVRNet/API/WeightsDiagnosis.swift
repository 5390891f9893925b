import Foundation
import KerasFormat

/// Everything that can be found out about a weights file, and every problem in it, not only
/// the first (`CVRNetModel.diagnose`; `cvrnet inspect` prints it).
public struct WeightsDiagnosis {
    /// One head's layers (512, 128, `MKH_k`, N; only `MKH_k` when the heads cannot be told apart)
    /// and their parameter count.
    public struct HeadParameters {
        public let scale: HeadScale
        public let layers: [String]
        public let parameters: Int
    }

    public let path: String
    public internal(set) var sizeBytes: Int?
    /// Nil when the file is not Keras weights at all.
    public internal(set) var layout: KerasWeightsLayout?
    public internal(set) var keras3LayerNaming: Keras3LayerNaming?
    public internal(set) var namingScheme: NamingScheme?
    public internal(set) var kerasVersion: String?
    public internal(set) var backend: String?
    public internal(set) var classCount: Int?
    /// The labels the model loads with (those given, else the defaults for `classCount`).
    public internal(set) var labels: [String]?
    public internal(set) var isReference = false
    public internal(set) var referenceNote: String?
    public internal(set) var resnetParameters = 0
    public internal(set) var xceptionParameters = 0
    public internal(set) var heads: [HeadParameters] = []
    public internal(set) var otherParameters = 0
    public internal(set) var totalParameters = 0
    public internal(set) var layerCount = 0
    /// The model loads as `CVRNetModel(weightsPath:labels:)` would load it.
    public internal(set) var loads = false
    /// Every problem, each once, in the order found.
    public private(set) var problems: [WeightsProblem] = []

    init(path: String) { self.path = path }

    /// The diagnosis of a file that was not opened (only its size is known), for a caller that
    /// found it unsafe to open.
    public static func unread(path: String) -> WeightsDiagnosis {
        var report = WeightsDiagnosis(path: path)
        report.readSize()
        return report
    }

    mutating func readSize() {
        if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
           let size = attributes[.size] as? NSNumber {
            sizeBytes = size.intValue
        }
    }

    mutating func problem(_ problem: WeightsProblem) {
        if !problems.contains(where: { $0.description == problem.description }) { problems.append(problem) }
    }
}

extension CVRNetModel {
    /// Diagnoses the weights file at `weightsPath`: its format, naming scheme, class count and
    /// parameter counts per encoder and head, then loads it as `init(weightsPath:labels:)` does.
    /// Loading stops at the first problem; the diagnosis goes on past every problem it meets
    /// (the Keras layer tree, every weight read for NaN and infinity) and lists each once.
    public static func diagnose(weightsPath path: String, labels: [String]? = nil) -> WeightsDiagnosis {
        var report = WeightsDiagnosis(path: path)
        report.readSize()
        let (file, structureProblems) = KerasWeightsFile.openCollectingProblems(path: path, keras3LayerTable: keras3LayerTable)
        for problem in structureProblems { report.problem(.weightsFile(problem)) }
        if let file { report.walk(file) }

        do {
            let model = try CVRNetModel(weightsPath: path, labels: labels)
            report.loads = true
            report.labels = model.labels
            report.describe(model.weights)
        } catch {
            report.problem(.model(error))
            if case .labelCount = error {
                // The weights themselves may be fine: check them without the labels.
                if let model = try? CVRNetModel(weightsPath: path) { report.describe(model.weights) }
            } else if let file {
                // Loading stops at the first problem; read every weight to find the others.
                report.readEveryWeight(file)
            }
            if report.labels == nil, let count = report.classCount {
                report.labels = labels ?? ClassLabels.defaults(count: count)
            }
        }
        return report
    }
}

extension WeightsDiagnosis {
    mutating func describe(_ weights: WeightsDescription) {
        classCount = weights.classCount
        namingScheme = weights.namingScheme
        isReference = weights.isReferenceWeights
        referenceNote = weights.referenceNote
    }

    /// Structure, attributes and parameter counts (shapes only, no values read).
    mutating func walk(_ file: KerasWeightsFile) {
        layout = file.layout
        keras3LayerNaming = file.keras3LayerNaming
        kerasVersion = file.kerasVersion
        backend = file.backend
        referenceNote = file.rootAttributes[CVRNetModel.referenceAttribute]
        isReference = referenceNote != nil
        namingScheme = NamingScheme.detect(layerNames: Set(file.layerNames))
        if namingScheme == nil { problem(.namingSchemeUnknown(path: path)) }
        var parameters: [String: Int] = [:]
        var shapes: [String: [[Int]]] = [:]
        for layer in file.layerNames {
            var count = 0
            for name in (try? file.weightNames(ofLayer: layer)) ?? [] {
                do {
                    let shape = try file.weightShape(ofLayer: layer, named: name)
                    shapes[layer, default: []].append(shape)
                    count += shape.reduce(1, *)
                } catch {
                    problem(.weightsFile(error))
                }
            }
            parameters[layer] = count
        }
        summarize(layerNames: file.layerNames, parameters: parameters, shapes: shapes)
    }

    /// Parameter counts per encoder and head, and the class count, from the layers' shapes.
    mutating func summarize(layerNames: [String], parameters: [String: Int], shapes: [String: [[Int]]]) {
        let names = Set(layerNames)
        layerCount = layerNames.count
        totalParameters = parameters.values.reduce(0, +)

        var assigned = Set<String>()
        for (encoder, prefix) in [("ResNet50", CVRNetLayout.resNet50Prefix), ("Xception", CVRNetLayout.xceptionPrefix)] {
            var count = 0
            for (layer, n) in parameters where layer.hasPrefix(prefix) {
                count += n
                assigned.insert(layer)
            }
            if prefix == CVRNetLayout.resNet50Prefix { resnetParameters = count } else { xceptionParameters = count }
            if !layerNames.contains(where: { $0.hasPrefix(prefix) && (parameters[$0] ?? 0) > 0 }) {
                problem(.encoderWithoutWeights(path: path, encoder: encoder, prefix: prefix))
            }
        }

        let dense = CVRNetLayout.autoNamedDense(in: layerNames)
        let headLayers = CVRNetLayout.headLayers(autoNamedDense: dense)
        if headLayers == nil { problem(.headsIndistinct(path: path, autoNamedDense: dense.count)) }
        var finalUnits: [Int] = []
        for scale in HeadScale.allCases {
            let named = CVRNetLayout.namedHeadLayer(scale)
            let layers = headLayers?[scale.rawValue - 1] ?? [named]
            if !names.contains(named) { problem(.headLayerMissing(path: path, head: scale)) }
            heads.append(HeadParameters(scale: scale, layers: layers, parameters: layers.reduce(0) { $0 + (parameters[$1] ?? 0) }))
            assigned.formUnion(layers)
            if layers.count == 4, let kernel = shapes[layers[3]]?.first, kernel.count == 2 {
                finalUnits.append(kernel[1])
            }
        }
        if finalUnits.count == HeadScale.allCases.count {
            if Set(finalUnits).count == 1 {
                classCount = finalUnits[0]
            } else {
                problem(.model(.headsDisagree(path: path, classCounts: finalUnits)))
            }
        }
        otherParameters = parameters.filter { !assigned.contains($0.key) }.values.reduce(0, +)
    }

    /// Reads every weight, recording each one that cannot be read or holds NaN or infinity.
    mutating func readEveryWeight(_ file: KerasWeightsFile) {
        for layer in file.layerNames {
            for name in (try? file.weightNames(ofLayer: layer)) ?? [] {
                do {
                    _ = try file.weight(ofLayer: layer, named: name)
                } catch {
                    problem(.weightsFile(error))
                }
            }
        }
    }
}
