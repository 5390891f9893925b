@testable import CVRNet
import CVRNetKernels
import Foundation
import ImageInput
import TestSupport
import Testing

/// `Precision.bfloat16` against Keras's float32 predictions: every reference weights file (Keras
/// 2 and Keras 3, 2/3/4 classes) on every sample image. The bounds are the ones the README
/// publishes: final probabilities (the prediction) within `probabilityBound` of Keras's, and the
/// same top class on every image. The five heads' own probabilities are further off (each head is
/// one path through the network; the mean of five averages part of the rounding out): their
/// largest difference is printed and published in the README, not held to the prediction's bound.
///
/// bfloat16's arithmetic (operands rounded to bfloat16, products exact in float32, sums in
/// float32) is the same on every `BFloat16Kernel`; only the order of the float32 additions
/// differs. `.roundedOperandsOnFloat32Kernels` computes it at float32 speed on any CPU, so these
/// bounds are checked on every machine; the AMX and AVX512_BF16 kernels themselves run where the
/// CPU has them, and their code also runs here with the instructions emulated (on one file and
/// one image: emulation is slow).
@Suite(.serialized)
struct BFloat16FidelityTests {
    /// The largest difference from Keras's float32 probabilities that bf16 is allowed (the issue's
    /// target, the order of OpenVINO bf16's own difference from its float32).
    static let probabilityBound: Float = 2e-2

    static let allReferenceFiles = RepositoryPaths.referenceWeightsFiles + RepositoryPaths.keras3ReferenceFiles

    static func loadModel(_ file: String, kernel: BFloat16Kernel) throws -> CVRNetModel {
        let url = RepositoryPaths.weights.appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw GeneratedFileMissing(message: RepositoryPaths.missingGeneratedFile(url))
        }
        var options = CVRNetModel.Options(precision: .bfloat16)
        options.bfloat16Kernel = kernel
        return try CVRNetModel(weightsPath: url.path, options: options)
    }

    /// Runs `file`'s model on `kernel` over the golden images (the first `limit`), checks the
    /// bounds, and returns the final probabilities per image.
    @discardableResult
    static func check(_ file: String, kernel: BFloat16Kernel, limit: Int = .max) throws -> [[Float]] {
        let golden = try KerasGolden.load(weightsFile: file)
        let model = try loadModel(file, kernel: kernel)
        #expect(model.bfloat16Kernel == kernel)
        var worst: Float = 0, worstHead: Float = 0
        var predictions: [[Float]] = []
        var topAgree = 0
        let images = golden.images.prefix(limit)
        for entry in images {
            let image = try KerasImageLoader().load(path: RepositoryPaths.root.appendingPathComponent(entry.image).path)
            let p = try model.predict(image)
            predictions.append(p.probabilities)
            let finalError = zip(p.probabilities, entry.probabilities).map { abs($0 - $1) }.max() ?? .infinity
            #expect(finalError <= probabilityBound, "\(file) \(entry.image) (\(kernel)): final probabilities off by \(finalError)")
            let kerasTop = entry.probabilities.indices.max { entry.probabilities[$0] < entry.probabilities[$1] } ?? -1
            #expect(p.topIndex == kerasTop, "\(file) \(entry.image) (\(kernel)): top class \(p.topIndex), Keras \(kerasTop)")
            if p.topIndex == kerasTop { topAgree += 1 }
            worst = max(worst, finalError)
            #expect(p.heads.count == entry.heads.count)
            for (head, kerasHead) in zip(p.heads, entry.heads) {
                worstHead = max(worstHead, zip(head.probabilities, kerasHead).map { abs($0 - $1) }.max() ?? .infinity)
            }
        }
        print("bf16 fidelity \(file) (\(kernel)): largest difference from Keras's probabilities \(worst) "
              + "(heads: \(worstHead)), top class agrees on \(topAgree)/\(images.count) images")
        return predictions
    }

    @Test(arguments: allReferenceFiles)
    func bfloat16ArithmeticStaysWithinPublishedBounds(_ file: String) throws {
        try Self.check(file, kernel: .roundedOperandsOnFloat32Kernels)
    }

    @Test(.enabled(if: BFloat16Kernel.available != nil, "this CPU has neither AMX-BF16 nor AVX512_BF16"),
          arguments: allReferenceFiles)
    func thisCPUsBFloat16KernelStaysWithinPublishedBounds(_ file: String) throws {
        try Self.check(file, kernel: BFloat16Kernel.available!)
    }

    /// The AMX and AVX512_BF16 kernels' code in the whole model, instructions emulated: wired to
    /// the right weights and epilogues in every layer, it meets the same bounds.
    @Test(arguments: [BFloat16Kernel.emulatedAMX, .emulatedAVX512BF16])
    func emulatedKernelsStayWithinPublishedBounds(_ kernel: BFloat16Kernel) throws {
        let file = RepositoryPaths.referenceWeightsFiles[0]
        let emulated = try Self.check(file, kernel: kernel, limit: 1)
        let fast = try Self.check(file, kernel: .roundedOperandsOnFloat32Kernels, limit: 1)
        let gap = zip(emulated[0], fast[0]).map { abs($0 - $1) }.max() ?? 0
        print("bf16 \(kernel) vs bf16 operands on float32 kernels: largest probability difference \(gap)")
    }
}
