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

    /// Floats of scratch `forward` needs for an input of `shape`: one band of depthwise results.
    public func scratchCount(for shape: FeatureMapShape) -> Int {
        bandRows(shape) * shape.width * inputChannels
    }

    /// The depthwise results of a band of rows go straight into the pointwise GEMM while they
    /// are still in cache; bands are sized like `Convolution2D`'s im2col bands.
    func bandRows(_ shape: FeatureMapShape) -> Int {
        max(1, min(shape.height, Convolution2D.bandFloats / max(1, shape.width * inputChannels)))
    }

    /// On the portable path (OpenBLAS), maps at least this wide get one GEMM call per map row,
    /// so that a band of rows gives the whole map's rows bit for bit (see `forward`). Xception
    /// runs bands only on its 109- and 55-wide maps (`DownsamplingBands`); narrower maps keep
    /// one call per band of rows, which is up to a third faster there (a 14-wide row is a
    /// poor GEMM), and are always run whole.
    public static let rowCallMinimumWidth = 48

    /// Runs the layer on one HWC map, or on a band of its rows.
    ///
    /// - Parameters:
    ///   - shape: the whole map's shape.
    ///   - inputFirstRow: `input` holds the map's rows from this one on (a band: the output rows
    ///     and one row on each side where the map has them).
    ///   - reluInput: apply ReLU to the input while reading it (Xception's pre-activation).
    ///   - scratch: `scratchCount(for:)` floats for the depthwise results.
    ///   - outputRows: the rows to compute (all by default), written to `output` from its first row.
    ///   - output: `outputRows.count * width * outputChannels` floats.
    ///   - accumulate: add the layer's result to what `output` holds (a residual) before `activation`.
    /// Every output element's arithmetic is the same whatever band it is computed in: always on
    /// cvrnet's AVX-512 and AVX2 paths, and on the portable path for maps at least
    /// `rowCallMinimumWidth` wide.
    public func forward(input: UnsafePointer<Float>, shape: FeatureMapShape, inputFirstRow: Int = 0, reluInput: Bool,
                        scratch: UnsafeMutablePointer<Float>, outputRows: Range<Int>? = nil,
                        output: UnsafeMutablePointer<Float>, activation: Activation, accumulate: Bool = false,
                        context: ComputeContext) {
        let rowsWanted = outputRows ?? 0..<shape.height
        let band = bandRows(shape)
        var y0 = rowsWanted.lowerBound
        while y0 < rowsWanted.upperBound {
            let y1 = min(rowsWanted.upperBound, y0 + band)
            // The depthwise half runs on the instruction set chosen for the layer's pointwise half.
            depthwiseConvolution3x3(input: input, shape: shape, inputFirstRow: inputFirstRow, kernel: depthwiseKernel.pointer,
                                    outputRows: y0..<y1, output: scratch, reluInput: reluInput,
                                    instructionSet: pointwise.variant.instructionSet, context: context)
            let c = output + (y0 - rowsWanted.lowerBound) * shape.width * outputChannels
            if pointwise.weightLayout == .hwio && shape.width >= Self.rowCallMinimumWidth {
                // Portable path: one OpenBLAS call per map row. OpenBLAS computes a row of C with
                // arithmetic that depends on the call's M and on where the row falls in it (its
                // edge kernels differ per CPU: Haswell, Prescott, ...), so calls whose M
                // depended on the band would make a band's rows differ in the last bits from the
                // whole map's. Every map row is the same call here, whatever the band.
                for r in 0..<(y1 - y0) {
                    pointwise.multiply(rows: shape.width, a: scratch + r * shape.width * inputChannels, lda: inputChannels,
                                       c: c + r * shape.width * outputChannels, activation: activation, accumulate: accumulate, context: context)
                }
            } else {
                // cvrnet's packed GEMM (AVX-512 or AVX2) computes every row with the same
                // arithmetic whatever M is.
                pointwise.multiply(rows: (y1 - y0) * shape.width, a: scratch, lda: inputChannels, c: c,
                                   activation: activation, accumulate: accumulate, context: context)
            }
            y0 = y1
        }
    }
}
