@testable import CVRNet
@testable import CVRNetKernels
import Foundation
import TestSupport
import Testing

/// Which kernel variant each convolution of the reference model gets on each instruction set,
/// whatever CPU runs the test (`ConvolutionKernel.choose` is given the set): the policy the
/// README states. ResNet50's stem sums in float64 on every CPU; with cvrnet's own kernels
/// (AVX-512 or AVX2) it runs the packed float64 GEMM, the 3x3 convolutions on 56x56, 28x28 and
/// 14x14 maps (stages 2-4: 3 + 4 + 6 blocks) run Winograd and every other convolution the
/// packed GEMM; the portable set runs everything on HWIO weights with OpenBLAS.
struct KernelChoiceTests {
    /// Every float-or-double convolution of the two encoders with the map the loader gives it for
    /// the Winograd decision (ResNet50's 3x3 convolutions only).
    static func convolutions(_ graph: CVRNetGraph) -> [(Convolution2D, FeatureMapShape?)] {
        var all: [(Convolution2D, FeatureMapShape?)] = [(graph.resnet.stem, nil)]
        for b in graph.resnet.blocks {
            all.append((b.reduce, nil))
            all.append((b.spatial, b.reduce.outputShape(for: b.inputShape)))
            all.append((b.expand, nil))
            if let s = b.shortcut { all.append((s, nil)) }
        }
        let x = graph.xception
        all += [(x.conv1, nil), (x.conv2, nil)]
        for b in x.entry + [x.exit] {
            all += [(b.first.pointwise, nil), (b.second.pointwise, nil), (b.residual, nil)]
        }
        for m in x.middle { all += m.convs.map { ($0.pointwise, nil) } }
        all += [(x.block14.0.pointwise, nil), (x.block14.1.pointwise, nil)]
        return all
    }

    @Test(arguments: [InstructionSet.avx512, .avx2, .portable])
    func variantsFollowThePolicy(_ set: InstructionSet) throws {
        let url = RepositoryPaths.weights.appendingPathComponent(RepositoryPaths.referenceWeightsFiles[0])
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw GeneratedFileMissing(message: RepositoryPaths.missingGeneratedFile(url))
        }
        let graph = try CVRNetModel(weightsPath: url.path).graph
        let convs = Self.convolutions(graph)
        #expect(convs.count == 53 + 2 + 12 + 24 + 2)  // ResNet50 53; Xception 2 + 4 x 3 + 8 x 3 + 2
        var counts: [String: Int] = [:]
        for (conv, input) in convs {
            counts[ConvolutionKernel.choose(for: conv, winogradInput: input, instructionSet: set).description, default: 0] += 1
        }
        if set == .portable {
            #expect(counts == ["float64 im2col + OpenBLAS": 1, "float32 im2col + OpenBLAS": 92])
        } else {
            #expect(counts == ["float64 packed GEMM (AVX2 + FMA)": 1, "float32 Winograd F(2x2,3x3) (\(set))": 13,
                               "float32 packed GEMM (\(set))": 79])
        }
        // The model loaded here runs this process's set: each layer's variant is that choice.
        for (conv, input) in convs {
            #expect(conv.variant == ConvolutionKernel.choose(for: conv, winogradInput: input, instructionSet: .selected))
        }
    }

    /// With `Precision.bfloat16` every convolution, the float64 stem included, runs the bf16
    /// kernel on bf16 weights, which take half the float32 weights' memory (plus the zero padding
    /// of k to 32 and of the last panel to 32 columns).
    @Test func bfloat16PutsEveryConvolutionOnBFloat16Weights() throws {
        let url = RepositoryPaths.weights.appendingPathComponent(RepositoryPaths.referenceWeightsFiles[0])
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw GeneratedFileMissing(message: RepositoryPaths.missingGeneratedFile(url))
        }
        var options = CVRNetModel.Options(precision: .bfloat16)
        options.bfloat16Kernel = .emulatedAVX512BF16
        let bf16 = try CVRNetModel(weightsPath: url.path, options: options)
        let fp32 = try CVRNetModel(weightsPath: url.path, options: CVRNetModel.Options(threads: 1))
        #expect(bf16.bfloat16Kernel == .emulatedAVX512BF16 && fp32.bfloat16Kernel == nil)
        let convs = Self.convolutions(bf16.graph)
        var bf16Floats = 0, weights = 0
        for (conv, _) in convs {
            #expect(conv.variant.dataType == .bfloat16(.emulatedAVX512BF16) && conv.weightLayout == .packedBFloat16,
                    "\(conv.variant)")
            #expect(conv.doubleWeights == nil)
            bf16Floats += conv.kernel.count
            weights += conv.patchLength * conv.outputChannels
            let padded = BFloat16MatrixMultiply.packedCount(k: conv.patchLength, n: conv.outputChannels)
            #expect(conv.kernel.count == (padded + 1) / 2)
        }
        // The float32 model keeps a float per weight (Winograd layers 16/9 of that).
        let fp32Floats = Self.convolutions(fp32.graph).map { $0.0.kernel.count }.reduce(0, +)
        #expect(fp32Floats >= weights)
        let ratio = Double(bf16Floats) / Double(weights)
        #expect(ratio >= 0.5 && ratio < 0.52, "bf16 weights take \(ratio) of the float32 size")
        print("bf16 convolution weights: \(bf16Floats * 4) bytes, \(ratio) of the \(weights * 4) bytes of float32 weights")
    }
}
