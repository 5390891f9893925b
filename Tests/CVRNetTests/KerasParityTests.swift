@testable import CVRNet
import CVRNetKernels
import Foundation
import ImageInput
import TestSupport
import Testing

/// CVR-Net end to end against Keras: every reference weights file (both naming schemes, both
/// file layouts, 2/3/4 classes) on every sample image. Final and per-head probabilities within
/// 1e-4 (absolute) of Keras, same top class; tapped feature maps within 1e-4 relative L2.
@Suite(.serialized)
struct KerasParityTests {
    static let probabilityTolerance: Float = 1e-4
    static let tapTolerance: Double = 1e-4

    /// The weights files the parity tests run on: all four, or only those listed (comma-separated)
    /// in CVRNET_PARITY_WEIGHTS, which `tools/sanitize.sh` sets (one or two files: see there).
    static let parityWeightsFiles: [String] = {
        let only = ProcessInfo.processInfo.environment["CVRNET_PARITY_WEIGHTS"]?
            .split(separator: ",").map { String($0) } ?? []
        return only.isEmpty ? RepositoryPaths.referenceWeightsFiles : only
    }()

    static func loadModel(_ file: String) throws -> CVRNetModel {
        let url = RepositoryPaths.weights.appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw GeneratedFileMissing(message: RepositoryPaths.missingGeneratedFile(url))
        }
        return try CVRNetModel(weightsPath: url.path)
    }

    /// The `layout` of a golden file -> `KerasWeightsLayout.rawValue` of the file it describes.
    static let layoutOfGolden = ["weights_only": "weightsOnly", "full_model": "fullModel",
                                 "keras3_weights": "keras3Weights", "keras3_archive": "keras3Archive"]

    @Test(arguments: parityWeightsFiles)
    func predictionsMatchKeras(_ file: String) throws {
        try Self.checkPredictions(file)
    }

    /// Final and per-head probabilities of every sample image against the golden file of `file`.
    static func checkPredictions(_ file: String) throws {
        let golden = try KerasGolden.load(weightsFile: file)
        let model = try Self.loadModel(file)
        #expect(model.classCount == golden.num_classes)
        #expect(model.weights.isReferenceWeights)
        #expect(model.weights.layout.rawValue == Self.layoutOfGolden[golden.layout])
        #expect(model.weights.namingScheme == (golden.naming == "keras231" ? .keras231 : .tfKeras))
        #expect(golden.images.count >= 10)
        var worst: Float = 0
        for entry in golden.images {
            let image = try KerasImageLoader().load(path: RepositoryPaths.root.appendingPathComponent(entry.image).path)
            #expect(fnv1a64(image.pixels) == entry.input_fnv1a64, "\(entry.image): input tensor differs from Keras's")
            let p = try model.predict(image)
            let finalError = zip(p.probabilities, entry.probabilities).map { abs($0 - $1) }.max() ?? .infinity
            #expect(finalError <= Self.probabilityTolerance, "\(file) \(entry.image): final probabilities off by \(finalError)")
            let kerasTop = entry.probabilities.indices.max { entry.probabilities[$0] < entry.probabilities[$1] } ?? -1
            #expect(p.topIndex == kerasTop, "\(file) \(entry.image): top class \(p.topIndex), Keras \(kerasTop)")
            worst = max(worst, finalError)
            for (head, kerasHead) in zip(p.heads, entry.heads) {
                let e = zip(head.probabilities, kerasHead).map { abs($0 - $1) }.max() ?? .infinity
                #expect(e <= Self.probabilityTolerance, "\(file) \(entry.image) head \(head.scale): off by \(e)")
                worst = max(worst, e)
            }
        }
        print("parity \(file): largest probability difference \(worst) over \(golden.images.count) images")
    }

    @Test(arguments: parityWeightsFiles)
    func tappedFeatureMapsMatchKeras(_ file: String) throws {
        try Self.checkTaps(file)
    }

    /// The five tapped feature maps of the images with tap dumps against Keras's.
    static func checkTaps(_ file: String) throws {
        let golden = try KerasGolden.load(weightsFile: file)
        let model = try Self.loadModel(file)
        let withTaps = golden.images.filter { $0.taps_file != nil }
        #expect(!withTaps.isEmpty, "golden file of \(file) has no tap dumps")
        for entry in withTaps {
            let image = try KerasImageLoader().load(path: RepositoryPaths.root.appendingPathComponent(entry.image).path)
            let maps = TapCollector()
            image.pixels.withUnsafeBufferPointer { px in
                _ = model.run(px.baseAddress!, observer: maps.observe)
            }
            let keras = try KerasGolden.readFloats(entry.taps_file!)
            var offset = 0
            for scale in HeadScale.allCases {
                let key = "head\(scale.rawValue)"
                guard let stats = entry.taps[key] else { Issue.record("no tap statistics for \(key)"); continue }
                let count = stats.shape.reduce(1, *)
                let reference = Array(keras[offset..<offset + count])
                offset += count
                let ours = maps.map(scale)
                #expect(ours.count == count, "\(key): \(ours.count) values, Keras \(count)")
                var diff = 0.0, norm = 0.0
                for (a, b) in zip(ours, reference) { diff += Double(a - b) * Double(a - b); norm += Double(b) * Double(b) }
                let rel = (diff / max(norm, 1e-30)).squareRoot()
                #expect(rel <= Self.tapTolerance, "\(file) \(entry.image) \(key): relative L2 \(rel)")
                print("taps \(file) \(entry.image) \(key): relative L2 \(rel)")
            }
            #expect(offset == keras.count)
        }
    }
}

/// Copies tapped maps out of a forward pass; head 1's two halves are interleaved per pixel as
/// Keras's Concatenate lays them out (ResNet50's channels first).
final class TapCollector: @unchecked Sendable {
    private var parts: [HeadScale: [(FeatureMapShape, [Float])]] = [:]

    func observe(_ head: HeadScale, _ part: Int, _ map: UnsafePointer<Float>, _ shape: FeatureMapShape) {
        parts[head, default: []].append((shape, Array(UnsafeBufferPointer(start: map, count: shape.count))))
    }

    func map(_ head: HeadScale) -> [Float] {
        guard let p = parts[head] else { return [] }
        if p.count == 1 { return p[0].1 }
        let pixels = p[0].0.height * p[0].0.width
        var out: [Float] = []
        out.reserveCapacity(p.reduce(0) { $0 + $1.1.count })
        for i in 0..<pixels {
            for (shape, values) in p { out += values[i * shape.channels..<(i + 1) * shape.channels] }
        }
        return out
    }
}
