import CVRNetKernels
import Foundation
import KerasFormat
import TestSupport
import Testing

/// Every Keras layer fixture in `Tests/Fixtures/layers` run through the kernel that implements
/// that layer in cvrnet, compared with Keras's own output:
/// `max |swift - keras| <= 1e-5 * (1 + max |keras|)`.
struct KerasLayerFixtureTests {
    static let fixtureNames: [String] = {
        let dir = RepositoryPaths.layerFixtures.path
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".h5") }.sorted()
    }()

    @Test func fixturesExist() {
        #expect(Self.fixtureNames.count >= 20, "expected the layer fixtures of tools/make_layer_fixtures.py in Tests/Fixtures/layers")
    }

    @Test(arguments: fixtureNames)
    func layerMatchesKeras(_ file: String) throws {
        let fixture = try LayerFixture(url: RepositoryPaths.layerFixtures.appendingPathComponent(file))
        let result = try FixtureRunner(fixture).run()
        #expect(result.shape == fixture.output.shape, "\(file): output shape")
        let parity = layerParity(result.values, fixture.output.values)
        #expect(parity.ok, "\(file): max error \(parity.error) > \(parity.bound)")
    }

    /// The same fixtures with every convolution's weights packed for the AVX-512 GEMM, as the
    /// model loader packs them (on CPUs without AVX-512 this repeats the portable path).
    @Test(arguments: fixtureNames)
    func layerWithPackedWeightsMatchesKeras(_ file: String) throws {
        let fixture = try LayerFixture(url: RepositoryPaths.layerFixtures.appendingPathComponent(file))
        let result = try FixtureRunner(fixture, packedWeights: true).run()
        #expect(result.shape == fixture.output.shape, "\(file): output shape")
        let parity = layerParity(result.values, fixture.output.values)
        #expect(parity.ok, "\(file): max error \(parity.error) > \(parity.bound)")
    }
}

/// Runs one fixture's layer (or two-layer model) with cvrnet's kernels, image by image.
struct FixtureRunner {
    let fixture: LayerFixture
    /// Pack convolution weights (`Convolution2D.packForInference`) before running them.
    let packedWeights: Bool
    init(_ fixture: LayerFixture, packedWeights: Bool = false) {
        self.fixture = fixture
        self.packedWeights = packedWeights
    }

    struct Unsupported: Error, CustomStringConvertible { let description: String }

    var config: [String: Any] { fixture.config }

    func ints(_ key: String, in c: [String: Any]? = nil) -> [Int] {
        ((c ?? config)[key] as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue } ?? []
    }

    /// Splits an NHWC batch into images.
    func images(_ t: (shape: [Int], values: [Float])) -> (FeatureMapShape, [[Float]]) {
        let s = FeatureMapShape(height: t.shape[1], width: t.shape[2], channels: t.shape[3])
        return (s, (0..<t.shape[0]).map { Array(t.values[$0 * s.count..<($0 + 1) * s.count]) })
    }

    func run() throws -> (shape: [Int], values: [Float]) {
        let input = fixture.inputs[0]
        switch fixture.layerClass {
        case "Conv2D":
            let weights = try fixture.weightArrays()
            let conv = try convolution(config, weights: weights, inputShape: input.shape)
            return apply(input) { x, s in forward(conv, x, s) }
        case "BatchNormalization":
            let bn = try fixture.weightArrays()
            let c = input.shape[3]
            // BatchNorm alone, as cvrnet runs it: folded into an identity 1x1 convolution.
            let conv = Convolution2D(window: WindowGeometry(kernel: 1, stride: 1, padding: .valid), inputChannels: c, outputChannels: c)
            for i in 0..<c { conv.kernel.pointer[i * c + i] = 1 }
            let eps = Float((config["epsilon"] as? NSNumber)?.doubleValue ?? 1e-3)
            conv.foldBatchNormalization(gamma: bn[0].values, beta: bn[1].values, movingMean: bn[2].values, movingVariance: bn[3].values, epsilon: eps)
            return apply(input) { x, s in forward(conv, x, s) }
        case "Conv2D+BatchNormalization":
            // The tested layer is the Conv2D; the BatchNormalization after it is folded into it.
            let conv = try convolution(config, weights: try fixture.weightArrays(), inputShape: input.shape)
            guard let bnLayer = fixture.layers.first(where: { $0.layerClass == "BatchNormalization" }) else {
                throw Unsupported(description: "fixture lists no BatchNormalization layer")
            }
            let bn = try fixture.weightArrays(bnLayer.name)
            let eps = Float((bnLayer.config["epsilon"] as? NSNumber)?.doubleValue ?? 1e-3)
            conv.foldBatchNormalization(gamma: bn[0].values, beta: bn[1].values, movingMean: bn[2].values, movingVariance: bn[3].values, epsilon: eps)
            return apply(input) { x, s in forward(conv, x, s) }
        case "Activation", "ReLU":
            return (input.shape, input.values.map { max($0, 0) })
        case "ZeroPadding2D":
            // Folded into the following layer in cvrnet: the same im2col padding, here with an identity kernel.
            let p = (config["padding"] as? [[NSNumber]])?.map { $0.map(\.intValue) } ?? [[0, 0], [0, 0]]
            let c = input.shape[3]
            let conv = Convolution2D(window: WindowGeometry(kernelHeight: 1, kernelWidth: 1, strideHeight: 1, strideWidth: 1,
                                                            padding: Padding2D(top: p[0][0], bottom: p[0][1], left: p[1][0], right: p[1][1])),
                                     inputChannels: c, outputChannels: c)
            for i in 0..<c { conv.kernel.pointer[i * c + i] = 1 }
            return apply(input) { x, s in forward(conv, x, s) }
        case "MaxPooling2D":
            let pool = ints("pool_size"), strides = ints("strides")
            let same = (config["padding"] as? String) == "same"
            return apply(input) { x, s in
                let pad = same ? Padding2D.tensorflowSame(input: (s.height, s.width), kernel: (pool[0], pool[1]), stride: (strides[0], strides[1])) : .valid
                let window = WindowGeometry(kernelHeight: pool[0], kernelWidth: pool[1], strideHeight: strides[0], strideWidth: strides[1], padding: pad)
                let (oh, ow) = window.outputSize(height: s.height, width: s.width)
                var out = [Float](repeating: 0, count: oh * ow * s.channels)
                x.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { o in
                    maxPooling2D(input: i.baseAddress!, shape: s, window: window, padValue: .ignored, output: o.baseAddress!, context: .allCores)
                } }
                return (FeatureMapShape(height: oh, width: ow, channels: s.channels), out)
            }
        case "SeparableConv2D":
            let w = try fixture.weightArrays()
            let cin = input.shape[3], cout = w[1].shape[3]
            guard ints("kernel_size") == [3, 3], ints("strides") == [1, 1], (config["padding"] as? String) == "same" else {
                throw Unsupported(description: "cvrnet implements SeparableConv2D 3x3 stride 1 'same' only")
            }
            let sep = SeparableConvolution2D(inputChannels: cin, outputChannels: cout)
            sep.depthwiseKernel.buffer.update(fromContentsOf: w[0].values)
            sep.pointwise.kernel.buffer.update(fromContentsOf: w[1].values)
            if w.count > 2 { sep.pointwise.bias.buffer.update(fromContentsOf: w[2].values) }
            if packedWeights { sep.pointwise.packForInference() }
            return apply(input) { x, s in
                var dw = [Float](repeating: 0, count: sep.scratchCount(for: s))
                var out = [Float](repeating: 0, count: s.height * s.width * cout)
                x.withUnsafeBufferPointer { i in dw.withUnsafeMutableBufferPointer { d in out.withUnsafeMutableBufferPointer { o in
                    sep.forward(input: i.baseAddress!, shape: s, reluInput: false, scratch: d.baseAddress!, output: o.baseAddress!, activation: .identity, context: .allCores)
                } } }
                return (FeatureMapShape(height: s.height, width: s.width, channels: cout), out)
            }
        case "Add":
            // cvrnet adds residuals in a convolution epilogue: identity 1x1 accumulating onto the other branch.
            let other = fixture.inputs[1]
            let c = input.shape[3]
            let conv = Convolution2D(window: WindowGeometry(kernel: 1, stride: 1, padding: .valid), inputChannels: c, outputChannels: c)
            for i in 0..<c { conv.kernel.pointer[i * c + i] = 1 }
            if packedWeights { conv.packForInference() }
            var out = other.values
            input.values.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { o in
                let s = FeatureMapShape(height: input.shape[1], width: input.shape[2], channels: c)
                for n in 0..<input.shape[0] {
                    conv.forward(input: i.baseAddress! + n * s.count, inputShape: s, output: o.baseAddress! + n * s.count, scratch: nil, activation: .identity, accumulate: true, context: .allCores)
                }
            } }
            return (other.shape, out)
        case "Concatenate":
            let a = fixture.inputs[0], b = fixture.inputs[1]
            let ca = a.shape.last!, cb = b.shape.last!
            let pixels = a.values.count / ca
            var out: [Float] = []
            for p in 0..<pixels { out += a.values[p * ca..<(p + 1) * ca]; out += b.values[p * cb..<(p + 1) * cb] }
            return (Array(a.shape.dropLast()) + [ca + cb], out)
        case "GlobalAveragePooling2D":
            let (s, imgs) = images(input)
            var out: [Float] = []
            for x in imgs {
                var v = [Float](repeating: 0, count: s.channels)
                x.withUnsafeBufferPointer { i in v.withUnsafeMutableBufferPointer { globalAveragePooling2D(input: i.baseAddress!, shape: s, output: $0.baseAddress!) } }
                out += v
            }
            return ([input.shape[0], s.channels], out)
        case "Dense":
            let w = try fixture.weightArrays()
            let units = w[0].shape[1], inputs = w[0].shape[0]
            let d = Dense(inputs: inputs, units: units)
            d.kernel.buffer.update(fromContentsOf: w[0].values)
            if w.count > 1 { d.bias.buffer.update(fromContentsOf: w[1].values) }
            let activation = config["activation"] as? String ?? "linear"
            let rows = input.values.count / inputs
            var out = [Float](repeating: 0, count: rows * units)
            input.values.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { o in
                for r in 0..<rows {
                    d.forward(input: i.baseAddress! + r * inputs, rows: 1, output: o.baseAddress! + r * units, activation: activation == "relu" ? .relu : .identity)
                    if activation == "softmax" { softmax(o.baseAddress! + r * units, count: units) }
                }
            } }
            return ([rows, units], out)
        case "Softmax":
            var out = input.values
            let n = input.shape.last!
            let rows = out.count / n
            out.withUnsafeMutableBufferPointer { o in for r in 0..<rows { softmax(o.baseAddress! + r * n, count: n) } }
            return (input.shape, out)
        case "Average":
            // As CVRNetGraph averages the heads: sum of the inputs, divided by their count.
            let out = zip(fixture.inputs[0].values, fixture.inputs[1].values).map { ($0 + $1) / 2 }
            return (input.shape, out)
        default:
            throw Unsupported(description: "no runner for layer class \(fixture.layerClass)")
        }
    }

    func convolution(_ c: [String: Any], weights: [WeightArray], inputShape: [Int]) throws -> Convolution2D {
        let k = ints("kernel_size", in: c), s = ints("strides", in: c)
        let same = (c["padding"] as? String) == "same"
        let pad = same ? Padding2D.tensorflowSame(input: (inputShape[1], inputShape[2]), kernel: (k[0], k[1]), stride: (s[0], s[1])) : .valid
        let conv = Convolution2D(window: WindowGeometry(kernelHeight: k[0], kernelWidth: k[1], strideHeight: s[0], strideWidth: s[1], padding: pad),
                                 inputChannels: inputShape[3], outputChannels: weights[0].shape[3])
        conv.kernel.buffer.update(fromContentsOf: weights[0].values)
        if weights.count > 1 { conv.bias.buffer.update(fromContentsOf: weights[1].values) }
        return conv
    }

    func forward(_ conv: Convolution2D, _ x: [Float], _ s: FeatureMapShape) -> (FeatureMapShape, [Float]) {
        if packedWeights { conv.packForInference() }
        let o = conv.outputShape(for: s)
        var out = [Float](repeating: 0, count: o.count)
        var scratch = [Float](repeating: 0, count: max(conv.scratchCount(for: s), 1))
        let act: Activation = (config["activation"] as? String) == "relu" ? .relu : .identity
        x.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { op in scratch.withUnsafeMutableBufferPointer { sp in
            conv.forward(input: i.baseAddress!, inputShape: s, output: op.baseAddress!, scratch: sp.baseAddress!, activation: act, context: .allCores)
        } } }
        return (o, out)
    }

    /// Applies `body` to every image of an NHWC batch and stacks the results.
    func apply(_ t: (shape: [Int], values: [Float]), _ body: ([Float], FeatureMapShape) -> (FeatureMapShape, [Float])) -> (shape: [Int], values: [Float]) {
        let (s, imgs) = images(t)
        var out: [Float] = []
        var outShape = s
        for x in imgs { let (os, v) = body(x, s); outShape = os; out += v }
        return ([t.shape[0], outShape.height, outShape.width, outShape.channels], out)
    }
}
