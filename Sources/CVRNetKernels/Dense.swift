import COpenBLAS

/// A Keras `Dense` layer: `y = act(x W + b)` for a batch of row vectors.
///
/// `kernel` is Keras's `(inputs, units)` matrix, row-major, used as stored.
public final class Dense: @unchecked Sendable {
    public let inputs: Int
    public let units: Int
    public let kernel: FloatBuffer
    public let bias: FloatBuffer

    /// Creates a layer with zeroed weights, to be filled by the loader.
    public init(inputs: Int, units: Int) {
        self.inputs = inputs
        self.units = units
        kernel = FloatBuffer(count: inputs * units)
        bias = FloatBuffer(count: units)
    }

    /// Runs the layer on `rows` input vectors (`rows x inputs`), writing `rows x units`.
    public func forward(input: UnsafePointer<Float>, rows: Int, output: UnsafeMutablePointer<Float>,
                        activation: Activation) {
        OpenBLASCore.prepare()
        if rows == 1 {
            cblas_sgemv(CblasRowMajor, CblasTrans, blasint(inputs), blasint(units), 1,
                        kernel.pointer, blasint(units), input, 1, 0, output, 1)
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(rows), blasint(units),
                        blasint(inputs), 1, input, blasint(inputs), kernel.pointer, blasint(units),
                        0, output, blasint(units))
        }
        for r in 0..<rows {
            let row = output + r * units
            switch activation {
            case .identity: for u in 0..<units { row[u] += bias.pointer[u] }
            case .relu: for u in 0..<units { row[u] = max(row[u] + bias.pointer[u], 0) }
            }
        }
    }

    /// The gradient with respect to the input of one vector, given the gradient with respect to
    /// the pre-activation output: `inputGradient = kernel · outputGradient` (the kernel is Keras's
    /// `(inputs, units)`, row-major). Used by Grad-CAM's backward pass through a head.
    public func backward(outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, blasint(inputs), blasint(units), 1,
                    kernel.pointer, blasint(units), outputGradient, 1, 0, inputGradient, 1)
    }
}
