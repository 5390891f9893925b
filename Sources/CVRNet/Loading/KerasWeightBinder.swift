import CVRNetKernels
import KerasFormat

/// Fills the graph from a Keras HDF5 weights file, layer by layer, by name.
///
/// Weight arrays are identified by position and checked by shape: Keras stores them in
/// `weight_names` order (Conv2D: kernel[, bias]; SeparableConv2D: depthwise_kernel,
/// pointwise_kernel[, bias]; BatchNormalization: gamma, beta, moving_mean, moving_variance;
/// Dense: kernel, bias). Their names are not trusted: renamed layers keep their variables'
/// original names. Kernels are read straight into the graph's buffers.
struct KerasWeightBinder: LayerWeightSource {
    let file: KerasWeightsFile
    let scheme: NamingScheme
    let layers: Set<String>
    /// The bfloat16 kernel every convolution runs (`Precision.bfloat16`), or nil for float32.
    let bfloat16: BFloat16Kernel?

    init(file: KerasWeightsFile, scheme: NamingScheme, bfloat16: BFloat16Kernel? = nil) {
        self.file = file
        self.scheme = scheme
        self.bfloat16 = bfloat16
        layers = Set(file.layerNames)
    }

    private var path: String { file.path }

    private func weightNames(_ layer: String, expected: Int...) throws(CVRNetError) -> [String] {
        guard layers.contains(layer) else { throw .layerMissing(path: path, layer: layer, scheme: scheme) }
        let names: [String]
        do { names = try file.weightNames(ofLayer: layer) } catch { throw .weightsFile(error) }
        guard expected.contains(names.count) else {
            throw .weightCount(path: path, layer: layer, found: names.count, expected: expected[0])
        }
        return names
    }

    /// Reads weight `name` of `layer` into `buffer`, after checking it has shape `expected`.
    private func read(_ layer: String, _ name: String, into buffer: UnsafeMutableBufferPointer<Float>, expected: [Int]) throws(CVRNetError) {
        let shape: [Int]
        do { shape = try file.weightShape(ofLayer: layer, named: name) } catch { throw .weightsFile(error) }
        guard shape == expected else {
            throw .shapeMismatch(path: path, layer: layer, weight: name, found: shape, expected: expected)
        }
        do { _ = try file.readWeight(ofLayer: layer, named: name, into: buffer) } catch { throw .weightsFile(error) }
    }

    private func vector(_ layer: String, _ name: String, count: Int) throws(CVRNetError) -> [Float] {
        var values = [Float](repeating: 0, count: count)
        try values.withUnsafeMutableBufferPointer { (b: inout UnsafeMutableBufferPointer<Float>) throws(CVRNetError) in
            try read(layer, name, into: b, expected: [count])
        }
        return values
    }

    private func batchNorm(_ layer: String, channels: Int) throws(CVRNetError) -> (gamma: [Float], beta: [Float], mean: [Float], variance: [Float]) {
        // Keras BatchNormalization(center=True, scale=True): gamma, beta, moving_mean, moving_variance.
        let names = try weightNames(layer, expected: 4)
        return (try vector(layer, names[0], count: channels), try vector(layer, names[1], count: channels),
                try vector(layer, names[2], count: channels), try vector(layer, names[3], count: channels))
    }

    func load(_ conv: Convolution2D, layer: String, hasBias: Bool, batchNorm bnLayer: String, epsilon: Float,
              winogradInput: FeatureMapShape?) throws(CVRNetError) {
        let names = try weightNames(layer, expected: hasBias ? 2 : 1)
        let w = conv.window
        try read(layer, names[0], into: conv.kernel.buffer,
                 expected: [w.kernelHeight, w.kernelWidth, conv.inputChannels, conv.outputChannels])
        if hasBias { try read(layer, names[1], into: conv.bias.buffer, expected: [conv.outputChannels]) }
        let bn = try batchNorm(bnLayer, channels: conv.outputChannels)
        conv.foldBatchNormalization(gamma: bn.gamma, beta: bn.beta, movingMean: bn.mean, movingVariance: bn.variance, epsilon: epsilon)
        conv.packForInference(winogradInput: winogradInput, bfloat16: bfloat16)
    }

    func load(_ conv: SeparableConvolution2D, layer: String, batchNorm bnLayer: String, epsilon: Float) throws(CVRNetError) {
        let names = try weightNames(layer, expected: 2)
        try read(layer, names[0], into: conv.depthwiseKernel.buffer, expected: [3, 3, conv.inputChannels, 1])
        try read(layer, names[1], into: conv.pointwise.kernel.buffer, expected: [1, 1, conv.inputChannels, conv.outputChannels])
        let bn = try batchNorm(bnLayer, channels: conv.outputChannels)
        conv.pointwise.foldBatchNormalization(gamma: bn.gamma, beta: bn.beta, movingMean: bn.mean,
                                              movingVariance: bn.variance, epsilon: epsilon)
        conv.pointwise.packForInference(bfloat16: bfloat16)
    }

    func load(_ dense: Dense, layer: String) throws(CVRNetError) {
        let names = try weightNames(layer, expected: 2)
        try read(layer, names[0], into: dense.kernel.buffer, expected: [dense.inputs, dense.units])
        try read(layer, names[1], into: dense.bias.buffer, expected: [dense.units])
    }

    /// The class count of the weights: the units of head 1's final Dense layer.
    func finalUnits(of layer: String, inputs: Int) throws(CVRNetError) -> Int {
        let names = try weightNames(layer, expected: 2)
        let shape: [Int]
        do { shape = try file.weightShape(ofLayer: layer, named: names[0]) } catch { throw .weightsFile(error) }
        guard shape.count == 2, shape[0] == inputs else {
            throw .shapeMismatch(path: path, layer: layer, weight: names[0], found: shape, expected: [inputs, -1])
        }
        return shape[1]
    }
}
