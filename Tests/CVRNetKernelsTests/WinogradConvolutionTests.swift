@testable import CVRNetKernels
import TestSupport
import Testing

/// Winograd F(2x2, 3x3) convolutions against a direct convolution in double precision: odd and
/// even map sizes (partial tiles at the bottom and right), 'same' and 'valid' padding,
/// TensorFlow's asymmetric padding, channel counts that are not multiples of 16, several tile-row
/// bands, ReLU; and the size policy of `packForInference`.
struct WinogradConvolutionTests {
    struct Case: CustomStringConvertible, Sendable {
        let height, width, cin, cout: Int
        let padding: Padding2D
        var description: String { "\(height)x\(width)x\(cin)->\(cout) pad \(padding)" }
    }

    static let cases: [Case] = [
        Case(height: 5, width: 7, cin: 3, cout: 5, padding: .uniform(1)),
        Case(height: 6, width: 6, cin: 16, cout: 16, padding: .uniform(1)),
        Case(height: 9, width: 4, cin: 20, cout: 33, padding: .valid),
        Case(height: 8, width: 11, cin: 17, cout: 40, padding: Padding2D(top: 0, bottom: 1, left: 0, right: 1)),
        Case(height: 56, width: 56, cin: 64, cout: 64, padding: .uniform(1)),
        Case(height: 111, width: 111, cin: 32, cout: 64, padding: .valid),
    ]

    @Test(.needsAVX512Kernels, arguments: cases)
    func avx512MatchesDirectConvolution(_ c: Case) { Self.checkAgainstDirectConvolution(c, .avx512) }

    @Test(.needsAVX2Kernels, arguments: cases)
    func avx2MatchesDirectConvolution(_ c: Case) { Self.checkAgainstDirectConvolution(c, .avx2) }

    static func checkAgainstDirectConvolution(_ c: Case, _ instructionSet: InstructionSet) {
        let shape = FeatureMapShape(height: c.height, width: c.width, channels: c.cin)
        let kernel = SeededRandomFloats.values(9 * c.cin * c.cout, seed: 11), bias = SeededRandomFloats.values(c.cout, seed: 12)
        let input = SeededRandomFloats.values(shape.count, seed: 13)
        let conv = Convolution2D(window: WindowGeometry(kernel: 3, stride: 1, padding: c.padding), inputChannels: c.cin, outputChannels: c.cout)
        conv.kernel.buffer.update(from: kernel)
        conv.bias.buffer.update(from: bias)
        conv.useWinograd(instructionSet)
        #expect(conv.variant == ConvolutionKernel(instructionSet: instructionSet, layout: .winogradF2x2, dataType: .float32))
        let out = conv.outputShape(for: shape)
        for activation in [Activation.identity, .relu] {
            var output = [Float](repeating: .nan, count: out.count)
            var scratch = [Float](repeating: 0, count: conv.scratchCount(for: shape))
            conv.forward(input: input, inputShape: shape, output: &output, scratch: &scratch, activation: activation, context: .allCores)
            var worst = 0.0
            for oy in 0..<out.height {
                for ox in 0..<out.width {
                    for co in 0..<c.cout {
                        var sum = Double(bias[co]), magnitude = abs(Double(bias[co]))
                        for ky in 0..<3 {
                            let iy = oy + ky - c.padding.top
                            if iy < 0 || iy >= c.height { continue }
                            for kx in 0..<3 {
                                let ix = ox + kx - c.padding.left
                                if ix < 0 || ix >= c.width { continue }
                                for ci in 0..<c.cin {
                                    let p = Double(input[(iy * c.width + ix) * c.cin + ci]) * Double(kernel[((ky * 3 + kx) * c.cin + ci) * c.cout + co])
                                    sum += p
                                    magnitude += abs(p)
                                }
                            }
                        }
                        if activation == .relu { sum = max(sum, 0) }
                        // Float rounding of the transforms and the sums: well inside 1e-6 of their magnitudes.
                        let error = abs(Double(output[(oy * out.width + ox) * c.cout + co]) - sum) / (1e-6 * (magnitude + 1))
                        worst = max(worst, error.isNaN ? .infinity : error)
                    }
                }
            }
            #expect(worst <= 1, "\(instructionSet) \(c) \(activation): error \(worst) of the bound")
        }
    }

    /// The transforms add and subtract in the same order on both sets and the GEMMs give the
    /// same bits (PackedMatrixMultiplyTests): so does the whole convolution.
    @Test(.needsAVX512Kernels, arguments: cases)
    func avx2AndAVX512GiveTheSameBits(_ c: Case) {
        let shape = FeatureMapShape(height: c.height, width: c.width, channels: c.cin)
        let kernel = SeededRandomFloats.values(9 * c.cin * c.cout, seed: 14), bias = SeededRandomFloats.values(c.cout, seed: 15)
        let input = SeededRandomFloats.values(shape.count, seed: 16)
        var results: [[UInt32]] = []
        for instructionSet in [InstructionSet.avx512, .avx2] {
            let conv = Convolution2D(window: WindowGeometry(kernel: 3, stride: 1, padding: c.padding), inputChannels: c.cin, outputChannels: c.cout)
            conv.kernel.buffer.update(from: kernel)
            conv.bias.buffer.update(from: bias)
            conv.useWinograd(instructionSet)
            var output = [Float](repeating: .nan, count: conv.outputShape(for: shape).count)
            var scratch = [Float](repeating: 0, count: conv.scratchCount(for: shape))
            conv.forward(input: input, inputShape: shape, output: &output, scratch: &scratch, activation: .relu, context: .allCores)
            results.append(output.map(\.bitPattern))
        }
        #expect(results[0] == results[1], "\(c)")
    }

    @Test(.needsPackedKernels) func packForInferenceChoosesWinogradForLargeMapsOnly() {
        func layout(_ kernel: Int, _ stride: Int, _ size: Int) -> Convolution2D.WeightLayout {
            let conv = Convolution2D(window: WindowGeometry(kernel: kernel, stride: stride, padding: kernel == 3 ? .uniform(1) : .valid),
                                     inputChannels: 8, outputChannels: 8)
            conv.packForInference(winogradInput: FeatureMapShape(height: size, width: size, channels: 8))
            return conv.weightLayout
        }
        #expect(layout(3, 1, 28) == .winogradF2x2)
        #expect(layout(3, 1, 14) == .winogradF2x2)
        #expect(layout(3, 1, 7) == .packed)
        #expect(layout(3, 2, 56) == .packed)
        #expect(layout(1, 1, 56) == .packed)
    }
}
