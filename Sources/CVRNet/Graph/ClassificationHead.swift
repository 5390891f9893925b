import CVRNetKernels

/// One of CVR-Net's five heads: GlobalAveragePooling2D -> Dense 512 ReLU -> Dense 128 ReLU ->
/// Dense 64 ReLU (`MKH_k`) -> Dense N softmax. The pooling is done by the graph as soon as the
/// tapped map exists, so a head only sees the pooled vector.
final class ClassificationHead: @unchecked Sendable {
    let scale: HeadScale
    let layers: [Dense]

    /// - Parameter names: the four Dense layers in order (512, 128, `MKH_k`, N).
    init(scale: HeadScale, inputs: Int, classes: Int, names: [String], source: LayerWeightSource) throws(CVRNetError) {
        self.scale = scale
        var built: [Dense] = []
        var width = inputs
        for (units, name) in zip(CVRNetLayout.headHiddenUnits + [classes], names) {
            let d = Dense(inputs: width, units: units)
            try source.load(d, layer: name)
            built.append(d)
            width = units
        }
        layers = built
    }

    var classes: Int { layers[layers.count - 1].units }

    /// The hidden layers' outputs alternate between two halves of the scratch `forward` is given,
    /// each as wide as the widest hidden layer; `Workspace` allocates `scratchCount` floats.
    static let scratchStride = CVRNetLayout.headHiddenUnits.max()!
    static let scratchCount = 2 * scratchStride

    /// Runs the head on a pooled vector; writes `classes` probabilities. `scratch` holds
    /// `scratchCount` floats.
    func forward(pooled: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, probabilities: UnsafeMutablePointer<Float>) {
        var input = pooled
        var bufferIndex = 0
        for (i, layer) in layers.enumerated() {
            let last = i == layers.count - 1
            let out = last ? probabilities : scratch + bufferIndex * Self.scratchStride
            layer.forward(input: input, rows: 1, output: out, activation: last ? .identity : .relu)
            input = UnsafePointer(out)
            bufferIndex ^= 1
        }
        softmax(probabilities, count: classes)
    }
}
