import CVRNetKernels
import TestSupport
import Testing

/// Every optimised kernel against its plain twin in `ReferenceKernels`, on random shapes and the
/// edge cases (odd sizes, channel tails not a multiple of 8, asymmetric padding).
struct KernelAgreementTests {
    typealias Rng = SeededRandomFloats

    static func maxError(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    static let convCases: [(h: Int, w: Int, cin: Int, cout: Int, k: Int, s: Int, same: Bool)] = [
        (9, 9, 3, 5, 3, 1, true), (8, 10, 4, 7, 3, 2, true), (9, 7, 5, 6, 3, 2, true), (12, 12, 3, 8, 7, 2, false),
        (7, 7, 6, 9, 1, 1, false), (8, 8, 6, 4, 1, 2, true), (11, 11, 6, 4, 1, 2, true), (10, 9, 2, 3, 3, 1, false),
        (40, 40, 64, 8, 3, 1, true),  // im2col in two bands of output rows
    ]

    @Test(arguments: convCases.indices)
    func convolutionMatchesReference(_ i: Int) {
        let t = Self.convCases[i]
        var rng = Rng(state: UInt64(i + 1))
        let shape = FeatureMapShape(height: t.h, width: t.w, channels: t.cin)
        let pad = t.same ? Padding2D.tensorflowSame(input: (t.h, t.w), kernel: (t.k, t.k), stride: (t.s, t.s)) : .valid
        let conv = Convolution2D(window: WindowGeometry(kernel: t.k, stride: t.s, padding: pad), inputChannels: t.cin, outputChannels: t.cout)
        let kernel = rng.array(conv.kernel.count), bias = rng.array(t.cout), input = rng.array(shape.count)
        conv.kernel.buffer.update(fromContentsOf: kernel)
        conv.bias.buffer.update(fromContentsOf: bias)
        let out = FloatBuffer(count: conv.outputShape(for: shape).count)
        let scratch = FloatBuffer(count: max(conv.scratchCount(for: shape), 1))
        input.withUnsafeBufferPointer { conv.forward(input: $0.baseAddress!, inputShape: shape, output: out.pointer, scratch: scratch.pointer, activation: .identity, context: .allCores) }
        let expected = ReferenceKernels.convolution2D(input: input, shape: shape, kernel: kernel, bias: bias, window: conv.window, outputChannels: t.cout)
        // float32 sums of up to 576 products against a float64 reference: the layer-fixture bound.
        let scale = expected.map { abs($0) }.max() ?? 0
        #expect(Self.maxError(out.array, expected) < 1e-5 * (1 + scale))
    }

    @Test(arguments: [(9, 7, 5, 6), (100, 100, 64, 12)])  // the second runs in two bands
    func separableMatchesReference(h: Int, w: Int, cin: Int, cout: Int) {
        var rng = Rng(state: UInt64(h + cin))
        let shape = FeatureMapShape(height: h, width: w, channels: cin)
        let sep = SeparableConvolution2D(inputChannels: cin, outputChannels: cout)
        let dk = rng.array(9 * cin), pk = rng.array(cin * cout), bias = rng.array(cout), input = rng.array(shape.count)
        sep.depthwiseKernel.buffer.update(fromContentsOf: dk)
        sep.pointwise.kernel.buffer.update(fromContentsOf: pk)
        sep.pointwise.bias.buffer.update(fromContentsOf: bias)
        let out = FloatBuffer(count: h * w * cout), scratch = FloatBuffer(count: sep.scratchCount(for: shape))
        input.withUnsafeBufferPointer { sep.forward(input: $0.baseAddress!, shape: shape, reluInput: true, scratch: scratch.pointer, output: out.pointer, activation: .identity, context: .allCores) }
        let dw = ReferenceKernels.depthwise3x3(input: input.map { max($0, 0) }, shape: shape, kernel: dk)
        let expected = ReferenceKernels.convolution2D(input: dw, shape: shape, kernel: pk, bias: bias,
                                                      window: WindowGeometry(kernel: 1, stride: 1, padding: .valid), outputChannels: cout)
        #expect(Self.maxError(out.array, expected) < 1e-4)
    }

    @Test func accumulateAndReluEpilogue() {
        var rng = Rng(state: 99)
        let shape = FeatureMapShape(height: 5, width: 6, channels: 4)
        let conv = Convolution2D(window: WindowGeometry(kernel: 1, stride: 1, padding: .valid), inputChannels: 4, outputChannels: 3)
        let kernel = rng.array(12), bias = rng.array(3), input = rng.array(shape.count), residual = rng.array(30 * 3)
        conv.kernel.buffer.update(fromContentsOf: kernel)
        conv.bias.buffer.update(fromContentsOf: bias)
        let out = FloatBuffer(residual)
        input.withUnsafeBufferPointer { conv.forward(input: $0.baseAddress!, inputShape: shape, output: out.pointer, scratch: nil, activation: .relu, accumulate: true, context: .allCores) }
        let plain = ReferenceKernels.convolution2D(input: input, shape: shape, kernel: kernel, bias: bias, window: conv.window, outputChannels: 3)
        let expected = zip(plain, residual).map { max($0 + $1, 0) }
        #expect(Self.maxError(out.array, expected) < 1e-5)
    }

    @Test(arguments: [(7, 9, 13, false), (8, 8, 16, true), (1, 1, 9, true), (5, 3, 24, false)])
    func depthwiseMatchesReference(h: Int, w: Int, c: Int, relu: Bool) {
        var rng = Rng(state: UInt64(h * 100 + c))
        let shape = FeatureMapShape(height: h, width: w, channels: c)
        let input = rng.array(shape.count), kernel = rng.array(9 * c)
        let out = FloatBuffer(count: shape.count)
        input.withUnsafeBufferPointer { i in kernel.withUnsafeBufferPointer { k in
            depthwiseConvolution3x3(input: i.baseAddress!, shape: shape, kernel: k.baseAddress!, output: out.pointer, reluInput: relu, context: .allCores)
        } }
        let expected = ReferenceKernels.depthwise3x3(input: relu ? input.map { max($0, 0) } : input, shape: shape, kernel: kernel)
        #expect(Self.maxError(out.array, expected) < 1e-5)
    }

    @Test(arguments: [(9, 9, true), (8, 8, true), (14, 14, true), (7, 10, true), (114, 114, false), (9, 8, false)])
    func maxPoolingMatchesReference(h: Int, w: Int, same: Bool) {
        var rng = Rng(state: UInt64(h * 7 + w))
        let shape = FeatureMapShape(height: h, width: w, channels: 5)
        let input = rng.array(shape.count)
        let pad = same ? Padding2D.tensorflowSame(input: (h, w), kernel: (3, 3), stride: (2, 2)) : Padding2D.uniform(1)
        let window = WindowGeometry(kernel: 3, stride: 2, padding: pad)
        let padValue: PoolingPadValue = same ? .ignored : .zero
        let (oh, ow) = window.outputSize(height: h, width: w)
        let out = FloatBuffer(count: oh * ow * 5)
        input.withUnsafeBufferPointer { maxPooling2D(input: $0.baseAddress!, shape: shape, window: window, padValue: padValue, output: out.pointer, context: .allCores) }
        #expect(out.array == ReferenceKernels.maxPooling(input: input, shape: shape, window: window, padValue: padValue))
    }

    @Test func tensorflowSamePaddingIsAsymmetric() {
        // TensorFlow puts the odd padding row/column at the bottom/right.
        #expect(Padding2D.tensorflowSame(input: (28, 28), kernel: (3, 3), stride: (2, 2)) == Padding2D(top: 0, bottom: 1, left: 0, right: 1))
        #expect(Padding2D.tensorflowSame(input: (55, 55), kernel: (3, 3), stride: (2, 2)) == .uniform(1))
        #expect(Padding2D.tensorflowSame(input: (109, 109), kernel: (1, 1), stride: (2, 2)) == .valid)
    }

    @Test func denseMatchesReference() {
        var rng = Rng(state: 5)
        let d = Dense(inputs: 37, units: 11)
        let kernel = rng.array(37 * 11), bias = rng.array(11), x = rng.array(37)
        d.kernel.buffer.update(fromContentsOf: kernel)
        d.bias.buffer.update(fromContentsOf: bias)
        let out = FloatBuffer(count: 11)
        x.withUnsafeBufferPointer { d.forward(input: $0.baseAddress!, rows: 1, output: out.pointer, activation: .identity) }
        #expect(Self.maxError(out.array, ReferenceKernels.dense(input: x, kernel: kernel, bias: bias, units: 11)) < 1e-5)
    }

    @Test func softmaxSumsToOneAndIsStable() {
        var x: [Float] = [1000, 1001, 999]
        x.withUnsafeMutableBufferPointer { softmax($0.baseAddress!, count: 3) }
        #expect(abs(x.reduce(0, +) - 1) < 1e-6)
        #expect(x[1] > x[0] && x[0] > x[2])
    }
}
