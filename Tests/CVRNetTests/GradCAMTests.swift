@testable import CVRNet
import Foundation
import ImageInput
import TestSupport
import Testing

/// Grad-CAM's parts on their own (GradCAMParityTests compares the whole with Keras).
///
/// Why there is no "bright blob moves the peak" test: the reference weights are untrained
/// seeded random weights, so nothing makes any class's evidence follow a blob; such a test
/// would assert an accident of the seed. What replaces it checks what Grad-CAM's correctness
/// rests on: the head gradient is the true derivative of the logit (central finite
/// differences), the maps come from the same forward pass as `predict` (bit for bit), and the
/// combination's conventions (zero map, normalisation, resize) hold.
@Suite(.serialized)
struct GradCAMTests {
    static let weightsFile = "reference-2class-keras231-weights.hdf5"

    static func sample(_ name: String) throws -> ModelInputImage {
        try KerasImageLoader().load(path: RepositoryPaths.sampleImages.appendingPathComponent(name).path)
    }

    @Test func explanationCarriesThePredictionOfPredict() throws {
        let model = try KerasParityTests.loadModel(Self.weightsFile)
        let image = try Self.sample("png-rgb8-333x287.png")
        let explanation = try model.explain(image)
        #expect(explanation.prediction == (try model.predict(image)))
        #expect(explanation.classIndex == explanation.prediction.topIndex)
        #expect(explanation.heads.map(\.scale) == HeadScale.allCases)
        let sizes: [[Int]] = explanation.heads.map { [$0.height, $0.width] }
        #expect(sizes == [[7, 7], [14, 14], [28, 28], [28, 28], [14, 14]])
        for head in explanation.heads {
            // The logits' softmax is the head's probability vector of the same pass.
            let m = head.logits.max()!
            let e = head.logits.map { exp($0 - m) }
            let p = e.map { $0 / e.reduce(0, +) }
            let probabilities = explanation.prediction.heads[head.scale.rawValue - 1].probabilities
            #expect(zip(p, probabilities).allSatisfy { abs($0 - $1) <= 1e-6 }, "\(head.scale)")
        }
        #expect(explanation.combined.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    /// Explanations from several threads at once (each with its encoders side by side, their
    /// taps copied from two threads) are bit for bit the serial ones.
    @Test func concurrentExplanationsEqualSerialOnes() throws {
        let model = try KerasParityTests.loadModel(Self.weightsFile)
        let inputs = try ["png-rgb8-333x287.png", "jpeg-gray-448x448.jpg", "png-gray8-224x224.png"].map { try Self.sample($0).pixels }
        let serial = try inputs.map { try model.explain(pixels: $0) }
        let results = ExplanationSlots(count: 4 * inputs.count)
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            for (k, pixels) in inputs.enumerated() {
                results.set(t * inputs.count + k, try? model.explain(pixels: pixels))
            }
        }
        for i in 0..<(4 * inputs.count) {
            #expect(results.get(i) == serial[i % inputs.count], "thread \(i / inputs.count), input \(i % inputs.count)")
        }
    }

    @Test func classOutOfRangeIsAnError() throws {
        let model = try KerasParityTests.loadModel(Self.weightsFile)
        let pixels = try Self.sample("png-gray8-224x224.png").pixels
        #expect(throws: CVRNetError.classIndex(given: 2, classes: 2)) { try model.explain(pixels: pixels, classIndex: 2) }
        #expect(throws: CVRNetError.classIndex(given: -1, classes: 2)) { try model.explain(pixels: pixels, classIndex: -1) }
        #expect(throws: CVRNetError.inputSize(found: 3, expected: 224 * 224 * 3)) { try model.explain(pixels: [0, 0, 0]) }
    }

    /// The backward pass through each head's Dense layers against central differences of the
    /// logit along the gradient's direction, on the pooled vectors of a real image. The logit is
    /// evaluated here in Double (same weights), so a tiny step is free of float32 rounding and
    /// crosses no ReLU kink.
    @Test func headGradientIsTheDerivativeOfTheLogit() throws {
        let model = try KerasParityTests.loadModel(Self.weightsFile)
        let pixels = try Self.sample("png-rgb8-333x287.png").pixels
        let maps = TappedMaps()
        _ = pixels.withUnsafeBufferPointer { model.run($0.baseAddress!, observer: maps.observe) }
        for scale in HeadScale.allCases {
            let head = model.graph.heads[scale.rawValue - 1]
            let pooled = maps.parts(scale).flatMap { GlobalAverage.pool($0.map, channels: $0.channels) }
            func logits(_ x: [Double]) -> [Double] {
                var v = x
                for (i, layer) in head.layers.enumerated() {
                    var out = (0..<layer.units).map { Double(layer.bias.pointer[$0]) }
                    for r in 0..<layer.inputs where v[r] != 0 {
                        for u in 0..<layer.units { out[u] += v[r] * Double(layer.kernel.pointer[r * layer.units + u]) }
                    }
                    v = i == head.layers.count - 1 ? out : out.map { max($0, 0) }
                }
                return v
            }
            for k in 0..<model.classCount {
                let g = pooled.withUnsafeBufferPointer { head.gradient(pooled: $0.baseAddress!, classIndex: k) }
                let gNorm = g.pooledGradient.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                #expect(gNorm > 0)
                let pNorm = pooled.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                let eps = 1e-7 * pNorm
                func logit(_ sign: Double) -> Double {
                    logits(zip(pooled, g.pooledGradient).map { Double($0) + sign * eps * Double($1) / gNorm })[k]
                }
                let numeric = (logit(1) - logit(-1)) / (2 * eps)
                // float32 backward vs Double differences: 1e-4 relative is float32 rounding room.
                #expect(abs(numeric - gNorm) <= 1e-4 * gNorm, "\(scale) class \(k): finite difference \(numeric), gradient norm \(gNorm)")
                #expect(abs(logits(pooled.map(Double.init))[k] - Double(g.logits[k])) <= 1e-4 * max(1, abs(Double(g.logits[k]))))
            }
        }
    }

    @Test func normalisationAndTheZeroMap() {
        #expect(GradCAMMap.normalized([-3, -1, 0]) == [0, 0, 0])
        #expect(GradCAMMap.normalized([-2, 1, 4]) == [0, 0.25, 1])
    }

    @Test func weightedSumIsTheGradientWeightedMean() {
        // Two positions, head-1-like split into two channel blocks of 2 and 1 channels.
        let map = GradCAMMap.weightedSum(parts: [([1, 2, 3, 4], 2), ([5, 6], 1)], positions: 2, pooledGradient: [1, -1, 2])
        let expected: [Float] = [4.5, 5.5]  // ((1 - 2 + 10) / 2, (3 - 4 + 12) / 2)
        #expect(map == expected)
    }

    @Test func bilinearResizeKeepsConstantsAndSameSize() {
        let constant = BilinearResize.resize([Float](repeating: 0.37, count: 49), height: 7, width: 7, outHeight: 224, outWidth: 224)
        #expect(constant.allSatisfy { abs($0 - 0.37) <= 1e-7 })
        let map: [Float] = (0..<12).map { Float($0 * $0) }
        #expect(BilinearResize.resize(map, height: 3, width: 4, outHeight: 3, outWidth: 4) == map)
        // Half-pixel centres: a 2-pixel ramp to 4 pixels holds the border values.
        let ramp = BilinearResize.resize([0, 4], height: 1, width: 2, outHeight: 1, outWidth: 4)
        #expect(ramp.first == 0 && ramp.last == 4 && ramp[1] > 0 && ramp[2] < 4)
    }
}

final class ExplanationSlots: @unchecked Sendable {
    private var values: [GradCAMExplanation?]
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: GradCAMExplanation?) { lock.lock(); values[i] = v; lock.unlock() }
    func get(_ i: Int) -> GradCAMExplanation? { lock.lock(); defer { lock.unlock() }; return values[i] }
}
