/// A Keras `SeparableConv2D(kernel_size=3, padding="same", strides=1)`: a depthwise 3x3
/// convolution followed by a pointwise (1x1) convolution, as Xception uses it.
///
/// Keras computes it with `tf.nn.separable_conv2d` (depthwise, then pointwise). A following
/// BatchNormalization is folded into the pointwise convolution.
public final class SeparableConvolution2D: @unchecked Sendable {
    public let inputChannels: Int
    public let outputChannels: Int
    /// Keras `depthwise_kernel`, shape (3, 3, C, 1).
    public let depthwiseKernel: FloatBuffer
    /// Keras `pointwise_kernel` (1, 1, C, outputChannels) and the bias (folded BN or zeros).
    public let pointwise: Convolution2D

    /// Creates a layer with zeroed weights, to be filled by the loader.
    public init(inputChannels: Int, outputChannels: Int) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        depthwiseKernel = FloatBuffer(count: 9 * inputChannels)
        pointwise = Convolution2D(window: WindowGeometry(kernel: 1, stride: 1, padding: .valid),
                                  inputChannels: inputChannels, outputChannels: outputChannels)
    }

    /// Runs the layer on one HWC map.
    ///
    /// - Parameters:
    ///   - reluInput: apply ReLU to the input while reading it (Xception's pre-activation).
    ///   - depthwiseOutput: scratch of `shape.count` floats for the depthwise result.
    ///   - output: `height * width * outputChannels` floats.
    ///   - accumulate: add the layer's result to what `output` holds (a residual) before `activation`.
    public func forward(input: UnsafePointer<Float>, shape: FeatureMapShape, reluInput: Bool,
                        depthwiseOutput: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>,
                        activation: Activation, accumulate: Bool = false) {
        depthwiseConvolution3x3(input: input, shape: shape, kernel: depthwiseKernel.pointer,
                                output: depthwiseOutput, reluInput: reluInput)
        pointwise.forward(input: depthwiseOutput, inputShape: shape, output: output, scratch: nil,
                          activation: activation, accumulate: accumulate)
    }
}
