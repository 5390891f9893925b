import CVRNetKernels

/// Where the graph gets its parameters while it is built: Keras layers addressed by name.
///
/// The graph files describe structure only; `KerasWeightBinder` implements this protocol over a
/// Keras HDF5 file, checking every shape against the layer it fills.
protocol LayerWeightSource {
    /// Fills a convolution from Keras layer `layer` (kernel HWIO, plus bias when `hasBias`),
    /// folds the BatchNormalization layer `batchNorm` (with `epsilon`) into it and prepares it
    /// for inference (`Convolution2D.packForInference`; Winograd when `winogradInput`, the input
    /// shape, is given and the convolution qualifies).
    func load(_ conv: Convolution2D, layer: String, hasBias: Bool, batchNorm: String, epsilon: Float,
              winogradInput: FeatureMapShape?) throws(CVRNetError)
    /// Fills a SeparableConv2D (no bias) and folds the BatchNormalization `batchNorm` into it.
    func load(_ conv: SeparableConvolution2D, layer: String, batchNorm: String, epsilon: Float) throws(CVRNetError)
    /// Fills a Dense layer (kernel and bias).
    func load(_ dense: Dense, layer: String) throws(CVRNetError)
}

extension LayerWeightSource {
    /// `load(_:layer:hasBias:batchNorm:epsilon:winogradInput:)` without Winograd.
    func load(_ conv: Convolution2D, layer: String, hasBias: Bool, batchNorm: String, epsilon: Float) throws(CVRNetError) {
        try load(conv, layer: layer, hasBias: hasBias, batchNorm: batchNorm, epsilon: epsilon, winogradInput: nil)
    }
}
