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
}
