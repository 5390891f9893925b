@testable import CVRNetKernels
import TestSupport
import Testing

/// `Convolution2D(accumulation: .double)` (ResNet50's stem) against a double-precision
/// reference written here: the convolution and the BatchNormalization it folds, summed and
/// applied in double, rounded to float once, on both of its GEMMs (OpenBLAS dgemm on HWIO
/// weights, the portable path; cvrnet's packed float64 kernel, the AVX2 and AVX-512 paths). Each
/// must agree to within one float ulp of each output (its only roundings are double ones and
/// the final one; measured: at most 0.5 ulp, i.e. correctly rounded). The same convolution
/// summed in float32 is printed for comparison: off by up to thousands of ulps on outputs that
/// the folded BatchNormalization brings near zero (measured 18 to 36,000).
struct DoubleAccumulationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let size: Int, outputs: Int
        let activation: Activation, accumulate: Bool
        /// The GEMM: `.portable` dgemm, `.avx2` the packed float64 kernel.
        var instructionSet: InstructionSet = .portable
        var testDescription: String {
            "\(size)x\(size) -> \(outputs) \(activation) accumulate \(accumulate), \(instructionSet == .portable ? "dgemm" : "packed float64 kernel")"
        }
    }

    static let cases: [Case] = [
        Case(size: 23, outputs: 5, activation: .identity, accumulate: false),
        Case(size: 17, outputs: 9, activation: .relu, accumulate: true),
        // 80x80 outputs: four im2col bands, each GEMM above MatrixMultiply's split threshold.
        Case(size: 160, outputs: 16, activation: .relu, accumulate: false),
    ]

    /// The cases on the packed float64 kernel; 64 outputs (the stem's) and 13 (a partial panel).
    static let packedCases: [Case] = cases.map { var c = $0; c.instructionSet = .avx2; return c } + [
        Case(size: 45, outputs: 64, activation: .relu, accumulate: true, instructionSet: .avx2),
        Case(size: 31, outputs: 13, activation: .identity, accumulate: true, instructionSet: .avx2),
    ]

    @Test(arguments: cases)
    func stemConvolutionMatchesDoubleReference(_ t: Case) { Self.check(t) }

    @Test(.needsAVX2Kernels, arguments: packedCases)
    func packedFloat64KernelMatchesDoubleReference(_ t: Case) { Self.check(t) }

    static func check(_ t: Case) {
        var rng = SeededRandomFloats(state: UInt64(t.size * 31 + t.outputs))
        let shape = FeatureMapShape(height: t.size, width: t.size, channels: 3)
        let window = WindowGeometry(kernel: 7, stride: 2, padding: .uniform(3))
        let conv = Convolution2D(window: window, inputChannels: 3, outputChannels: t.outputs, accumulation: .double)
        let kernel = rng.array(conv.kernel.count).map { $0 * 0.05 }, bias = rng.array(t.outputs)
        // Raw pixels, as CVR-Net's input: 0...255.
        let input = rng.array(shape.count).map { (($0 + 1) * 127.5).rounded() }
        let gamma = rng.array(t.outputs).map { 1 + 0.5 * $0 }, beta = rng.array(t.outputs)
        let mean = rng.array(t.outputs).map { 10 * $0 }, variance = rng.array(t.outputs).map { 50 + 40 * $0 }
        let epsilon: Float = 1.001e-5
        conv.kernel.buffer.update(fromContentsOf: kernel)
        conv.bias.buffer.update(fromContentsOf: bias)
        conv.foldBatchNormalization(gamma: gamma, beta: beta, movingMean: mean, movingVariance: variance, epsilon: epsilon)
        conv.use(ConvolutionKernel(instructionSet: t.instructionSet, layout: t.instructionSet == .portable ? .hwio : .packed,
                                   dataType: .float64))
        #expect(conv.weightLayout == (t.instructionSet == .portable ? .hwio : .packed))
        let outShape = conv.outputShape(for: shape)
        let residual = rng.array(outShape.count).map { 100 * $0 }
        let out = FloatBuffer(t.accumulate ? residual : [Float](repeating: 0, count: outShape.count))
        let scratch = FloatBuffer(count: conv.scratchCount(for: shape))
        input.withUnsafeBufferPointer {
            conv.forward(input: $0.baseAddress!, inputShape: shape, output: out.pointer, scratch: scratch.pointer,
                         activation: t.activation, accumulate: t.accumulate, context: .allCores)
        }

        // The same convolution summed in float32, for the printed comparison.
        let floatConv = Convolution2D(window: window, inputChannels: 3, outputChannels: t.outputs)
        floatConv.kernel.buffer.update(fromContentsOf: kernel)
        floatConv.bias.buffer.update(fromContentsOf: bias)
        floatConv.foldBatchNormalization(gamma: gamma, beta: beta, movingMean: mean, movingVariance: variance, epsilon: epsilon)
        floatConv.packForInference()
        let floatOut = FloatBuffer(t.accumulate ? residual : [Float](repeating: 0, count: outShape.count))
        let floatScratch = FloatBuffer(count: floatConv.scratchCount(for: shape))
        input.withUnsafeBufferPointer {
            floatConv.forward(input: $0.baseAddress!, inputShape: shape, output: floatOut.pointer, scratch: floatScratch.pointer,
                              activation: t.activation, accumulate: t.accumulate, context: .allCores)
        }

        // Conv, bias, BatchNormalization (Keras's inference formula), residual, activation: all in double.
        var worstUlps = 0.0, worstFloatUlps = 0.0
        for oy in 0..<outShape.height {
            for ox in 0..<outShape.width {
                for o in 0..<t.outputs {
                    var acc = 0.0
                    for ky in 0..<7 {
                        for kx in 0..<7 {
                            let iy = oy * 2 - 3 + ky, ix = ox * 2 - 3 + kx
                            guard iy >= 0, iy < t.size, ix >= 0, ix < t.size else { continue }
                            for c in 0..<3 {
                                acc += Double(input[(iy * t.size + ix) * 3 + c]) * Double(kernel[((ky * 7 + kx) * 3 + c) * t.outputs + o])
                            }
                        }
                    }
                    let i = (oy * outShape.width + ox) * t.outputs + o
                    let scale = Double(gamma[o]) / (Double(variance[o]) + Double(epsilon)).squareRoot()
                    var y = (acc + Double(bias[o]) - Double(mean[o])) * scale + Double(beta[o])
                    if t.accumulate { y += Double(residual[i]) }
                    if t.activation == .relu { y = max(y, 0) }
                    let ulp = Double(Float(y).ulp)
                    worstUlps = max(worstUlps, abs(Double(out.pointer[i]) - y) / ulp)
                    worstFloatUlps = max(worstFloatUlps, abs(Double(floatOut.pointer[i]) - y) / ulp)
                }
            }
        }
        #expect(worstUlps <= 1, "largest difference \(worstUlps) ulps from the double reference")
        print("double accumulation \(t.testDescription): largest difference \(worstUlps) ulps; float32 sums: \(worstFloatUlps) ulps")
    }

    @Test func doubleConvolutionStaysDoubleAndNeverWinograd() {
        let conv = Convolution2D(window: WindowGeometry(kernel: 3, stride: 1, padding: .uniform(1)),
                                 inputChannels: 3, outputChannels: 8, accumulation: .double)
        conv.packForInference(winogradInput: FeatureMapShape(height: 224, width: 224, channels: 3))
        #expect(conv.variant.dataType == .float64)
        #expect(conv.weightLayout == (InstructionSet.selected == .portable ? .hwio : .packed))
    }
}
