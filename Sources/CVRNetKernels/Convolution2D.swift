/// A 2-D convolution (Keras `Conv2D`, or the pointwise half of `SeparableConv2D`) with a
/// per-channel bias and a fused epilogue (bias, optional residual accumulation, activation).
///
/// The kernel is loaded as Keras stores it, HWIO, which flattened is the `[kh*kw*cin, cout]`
/// right-hand matrix of the GEMM. A 1x1 stride-1 unpadded convolution multiplies the input map
/// directly; every other geometry goes through `im2col` first, band by band of output rows.
/// BatchNormalization that follows the convolution is folded into the kernel and bias at load
/// time (`foldBatchNormalization`), so inference never normalises. `packForInference` then picks
/// the computation, a `ConvolutionKernel`: cvrnet's packed-weight GEMM or Winograd F(2x2, 3x3)
/// (AVX-512 or AVX2), or OpenBLAS (the portable path). A convolution made with
/// `accumulation: .double` instead sums in double precision on every CPU (`DoubleAccumulation`).
public final class Convolution2D: @unchecked Sendable {
    public let window: WindowGeometry
    public let inputChannels: Int
    public let outputChannels: Int
    /// The weights in the layout of `variant`: as loaded, `[kh * kw * inputChannels,
    /// outputChannels]` row-major (HWIO); `packForInference` may replace them (with
    /// `.packedBFloat16`, by bfloat16 values two to a float: `bfloat16Weights`).
    public private(set) var kernel: FloatBuffer
    /// `outputChannels` biases (zeros for Keras layers with `use_bias=False`).
    public let bias: FloatBuffer

    public typealias WeightLayout = ConvolutionKernel.Layout

    /// How `forward` computes, and so how `kernel` is laid out: HWIO run by OpenBLAS until
    /// `packForInference` chooses.
    public private(set) var variant: ConvolutionKernel

    /// The layout of `kernel` (`variant.layout`).
    public var weightLayout: WeightLayout { variant.layout }

    /// The precision the products are summed in.
    public enum Accumulation: Sendable, Equatable {
        /// float32, as Keras computes every layer: the OpenBLAS, packed or Winograd paths.
        case float
        /// double: im2col + a double GEMM (`cblas_dgemm` on the portable path, cvrnet's float64
        /// kernel on the vector ones) on the weights kept in double, the bias added in double and
        /// the sum rounded to float once (`DoubleAccumulation`).
        case double
    }

    public let accumulation: Accumulation
    /// With `.double`: kernel and bias in double (BatchNormalization folded in double), set by
    /// `foldBatchNormalization` or, without one, by `packForInference`.
    var doubleWeights: DoubleAccumulation.Weights?

    /// Creates a convolution with zeroed weights, to be filled by the loader.
    public init(window: WindowGeometry, inputChannels: Int, outputChannels: Int, accumulation: Accumulation = .float) {
        self.window = window
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.accumulation = accumulation
        variant = .unpacked(accumulation)
        kernel = FloatBuffer(count: window.kernelHeight * window.kernelWidth * inputChannels * outputChannels)
        bias = FloatBuffer(count: outputChannels)
    }

    /// Length of one im2col row.
    public var patchLength: Int { window.kernelHeight * window.kernelWidth * inputChannels }

    /// True when the convolution reads the input map directly as the GEMM's left matrix.
    public var isPointwise: Bool {
        window.kernelHeight == 1 && window.kernelWidth == 1 && window.strideHeight == 1
            && window.strideWidth == 1 && window.padding == .valid
    }

    /// Output shape for an input of `shape`.
    public func outputShape(for shape: FeatureMapShape) -> FeatureMapShape {
        let (h, w) = window.outputSize(height: shape.height, width: shape.width)
        return FeatureMapShape(height: h, width: w, channels: outputChannels)
    }

    /// Floats of scratch `forward` needs for an input of `shape` (zero for pointwise).
    public func scratchCount(for shape: FeatureMapShape) -> Int {
        if variant.dataType == .float64 { return DoubleAccumulation.scratchCount(self, for: shape) }
        switch variant.layout {
        case .winogradF2x2:
            return winogradScratchCount(for: shape)
        case .hwio, .packed, .packedBFloat16:
            if isPointwise { return 0 }
            let out = outputShape(for: shape)
            return bandRows(out) * out.width * patchLength
        }
    }

    /// im2col runs over bands of output rows, so its matrix stays within `bandFloats` (1 MB,
    /// cache-friendly, small arenas) while each band's GEMM still has hundreds of rows.
    public static let bandFloats = 1 << 18

    func bandRows(_ out: FeatureMapShape) -> Int {
        max(1, min(out.height, Self.bandFloats / max(1, out.width * patchLength)))
    }

    /// Folds a following BatchNormalization (inference mode) into kernel and bias:
    /// `y = gamma * (conv(x) + b - mean) / sqrt(var + eps) + beta`, as Keras computes it with
    /// `scale = gamma * rsqrt(var + eps)`.
    public func foldBatchNormalization(gamma: [Float], beta: [Float], movingMean: [Float],
                                       movingVariance: [Float], epsilon: Float) {
        let n = outputChannels
        precondition(gamma.count == n && beta.count == n && movingMean.count == n && movingVariance.count == n)
        if accumulation == .double {
            doubleWeights = DoubleAccumulation.Weights(self, gamma: gamma, beta: beta, movingMean: movingMean,
                                                       movingVariance: movingVariance, epsilon: epsilon)
        }
        var scale = [Float](repeating: 0, count: n)
        for o in 0..<n { scale[o] = gamma[o] / (movingVariance[o] + epsilon).squareRoot() }
        let k = kernel.pointer
        for r in 0..<patchLength {
            let row = k + r * n
            for o in 0..<n { row[o] *= scale[o] }
        }
        let b = bias.pointer
        for o in 0..<n { b[o] = (b[o] - movingMean[o]) * scale[o] + beta[o] }
    }

    /// Chooses the layer's `variant` (`ConvolutionKernel.choose`) and rearranges `kernel` for it:
    /// on cvrnet's vector kernels (AVX-512 or AVX2), packed for the GEMM (in place, same size),
    /// so the weights are packed once here instead of inside every product; or, for a 3x3
    /// stride-1 convolution given `winogradInput` whose output is at least
    /// `WinogradConvolution.minimumOutputSize` on each side, transformed for Winograd F(2x2, 3x3).
    /// On the portable path the HWIO weights stay. Call once, after the weights are final
    /// (BatchNormalization folded), before the layer is shared between threads.
    ///
    /// With `bfloat16`, the layer runs that bfloat16 kernel instead (`Precision.bfloat16`), its
    /// weights rounded and packed as bfloat16 in half the memory.
    public func packForInference(winogradInput: FeatureMapShape? = nil, bfloat16: BFloat16Kernel? = nil) {
        guard variant == .unpacked(accumulation) else { return }  // already chosen
        use(ConvolutionKernel.choose(for: self, winogradInput: winogradInput, bfloat16: bfloat16))
    }

    /// The packed bfloat16 weights (`.packedBFloat16` layout only).
    var bfloat16Weights: UnsafeMutablePointer<UInt16> {
        precondition(variant.layout == .packedBFloat16)
        return UnsafeMutableRawPointer(kernel.pointer).assumingMemoryBound(to: UInt16.self)
    }

    /// Switches the layer, still as loaded (HWIO), to `chosen`; `packForInference` applies the
    /// policy, tests call this to run a given variant (e.g. the AVX2 one on an AVX-512 CPU, or
    /// Winograd on a small map).
    func use(_ chosen: ConvolutionKernel) {
        precondition(variant == .unpacked(accumulation), "already packed")
        precondition(chosen.instructionSet.isRunnable, "\(chosen.instructionSet) kernels do not run here")
        switch chosen.dataType {
        case .bfloat16(let bf):
            precondition(bf.isRunnable, "\(bf) does not run here")
            // The float weights (BatchNormalization folded in float) are the ones rounded; a
            // float64 layer's double copy is not needed.
            doubleWeights = nil
            if chosen.layout == .packedBFloat16 {
                let packed = FloatBuffer(count: (BFloat16MatrixMultiply.packedCount(k: patchLength, n: outputChannels) + 1) / 2)
                BFloat16MatrixMultiply.pack(kernel.pointer, k: patchLength, n: outputChannels,
                                            into: UnsafeMutableRawPointer(packed.pointer).assumingMemoryBound(to: UInt16.self))
                kernel = packed
            } else {
                for i in 0..<kernel.count { kernel.pointer[i] = BFloat16Kernel.round(kernel.pointer[i]) }
                if chosen.layout == .packed {
                    PackedMatrixMultiply.pack(kernel.pointer, k: patchLength, n: outputChannels, for: chosen.instructionSet)
                }
            }
        case .float64:
            precondition(accumulation == .double)
            if doubleWeights == nil { doubleWeights = DoubleAccumulation.Weights(self) }
            if chosen.layout == .packed { doubleWeights!.pack(patchLength: patchLength, outputChannels: outputChannels) }
        case .float32:
            precondition(accumulation == .float)
            switch chosen.layout {
            case .hwio:
                break
            case .packed:
                PackedMatrixMultiply.pack(kernel.pointer, k: patchLength, n: outputChannels, for: chosen.instructionSet)
            case .winogradF2x2:
                precondition(WinogradConvolution.isEligible(self))
                kernel = WinogradConvolution.transformKernel(of: self, for: chosen.instructionSet)
            case .packedBFloat16:
                preconditionFailure("bf16 weights need a bf16 kernel")
            }
        }
        variant = chosen
    }

    /// Switches a 3x3 stride-1 convolution with HWIO weights to Winograd F(2x2, 3x3) on
    /// `instructionSet`, whatever its map size (`packForInference` applies the size policy).
    func useWinograd(_ instructionSet: InstructionSet = .selected) {
        use(ConvolutionKernel(instructionSet: instructionSet, layout: .winogradF2x2, dataType: .float32))
    }

    /// `C = act(A W + bias (+ C))` for `rows` rows of the GEMM's left matrix `a`.
    func multiply(rows: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>,
                  activation: Activation, accumulate: Bool, context: ComputeContext) {
        let n = outputChannels
        if case .bfloat16(let bf) = variant.dataType {
            if variant.layout == .packedBFloat16 {
                BFloat16MatrixMultiply.multiply(m: rows, n: n, k: patchLength, a: a, lda: lda, packed: bfloat16Weights,
                                                c: c, ldc: n, bias: bias.pointer, activation: activation,
                                                accumulate: accumulate, kernel: bf, context: context)
                return
            }
            // `.roundedOperandsOnFloat32Kernels` (tests): the input rounded to bfloat16 values,
            // then the float32 GEMM on the rounded weights below.
            let k = patchLength
            let rounded = UnsafeMutablePointer<Float>.allocate(capacity: max(1, rows * k))
            defer { rounded.deallocate() }
            for r in 0..<rows {
                for j in 0..<k { rounded[r * k + j] = BFloat16Kernel.round(a[r * lda + j]) }
            }
            multiplyFloat32(rows: rows, a: rounded, lda: k, c: c, activation: activation, accumulate: accumulate, context: context)
            return
        }
        multiplyFloat32(rows: rows, a: a, lda: lda, c: c, activation: activation, accumulate: accumulate, context: context)
    }

    /// `multiply` on float32 weights: cvrnet's packed GEMM or OpenBLAS.
    private func multiplyFloat32(rows: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>,
                                 activation: Activation, accumulate: Bool, context: ComputeContext) {
        let n = outputChannels
        if variant.layout == .packed {
            PackedMatrixMultiply.multiply(m: rows, n: n, k: patchLength, a: a, lda: lda, packed: kernel.pointer,
                                          c: c, ldc: n, bias: bias.pointer, activation: activation, accumulate: accumulate,
                                          instructionSet: variant.instructionSet, context: context)
        } else {
            MatrixMultiply.multiply(m: rows, n: n, k: patchLength, a: a, lda: lda, b: kernel.pointer, ldb: n,
                                    c: c, ldc: n, accumulate: accumulate, context: context)
            addBiasAndActivate(c, rows: rows, channels: n, bias: bias.pointer, activation: activation, context: context)
        }
    }

    /// Runs the convolution on one HWC map.
    ///
    /// - Parameters:
    ///   - input: `inputShape.count` floats.
    ///   - output: `outputShape(for:).count` floats; must not overlap `input`.
    ///   - scratch: `scratchCount(for:)` floats (unused for pointwise convolutions).
    ///   - accumulate: when true, `output` already holds a residual that is added before the
    ///     activation (Keras `Add` followed by `Activation`), as in a ResNet bottleneck.
    ///   - context: the threads it may use; the result does not depend on them.
    public func forward(input: UnsafePointer<Float>, inputShape: FeatureMapShape,
                        output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>?,
                        activation: Activation, accumulate: Bool = false, context: ComputeContext) {
        precondition(inputShape.channels == inputChannels, "channel mismatch")
        let out = outputShape(for: inputShape)
        let m = out.height * out.width
        let n = outputChannels
        if variant.dataType == .float64 {
            guard let scratch else { preconditionFailure("double-accumulation convolution needs scratch") }
            DoubleAccumulation.forward(self, input: input, inputShape: inputShape, output: output, scratch: scratch,
                                       activation: activation, accumulate: accumulate, context: context)
        } else if variant.layout == .winogradF2x2 {
            guard let scratch else { preconditionFailure("Winograd convolution needs scratch") }
            precondition(!accumulate, "Winograd convolutions do not accumulate")
            WinogradConvolution.forward(self, input: input, inputShape: inputShape, output: output,
                                        scratch: scratch, activation: activation, context: context)
        } else if isPointwise {
            // Bands of rows so each band's epilogue runs while its rows are still in cache.
            let band = max(256, Self.bandFloats / max(1, n))
            var r0 = 0
            while r0 < m {
                let r1 = min(m, r0 + band)
                multiply(rows: r1 - r0, a: input + r0 * patchLength, lda: patchLength, c: output + r0 * n,
                         activation: activation, accumulate: accumulate, context: context)
                r0 = r1
            }
        } else {
            guard let scratch else { preconditionFailure("im2col convolution needs scratch") }
            let band = bandRows(out)
            var y0 = 0
            while y0 < out.height {
                let y1 = min(out.height, y0 + band)
                let rows = (y1 - y0) * out.width
                let c = output + y0 * out.width * n
                im2col(input: input, shape: inputShape, window: window, outputRows: y0..<y1, output: scratch, context: context)
                multiply(rows: rows, a: scratch, lda: patchLength, c: c, activation: activation, accumulate: accumulate,
                         context: context)
                y0 = y1
            }
        }
    }
}

/// Epilogue shared by convolutions: `x[r, c] = act(x[r, c] + bias[c])` over a row-major matrix.
public func addBiasAndActivate(_ x: UnsafeMutablePointer<Float>, rows: Int, channels: Int,
                               bias: UnsafePointer<Float>, activation: Activation, context: ComputeContext) {
    context.parallelChunks(rows, minimumChunk: 64) { range in
        for r in range {
            let row = x + r * channels
            switch activation {
            case .identity:
                for c in 0..<channels { row[c] += bias[c] }
            case .relu:
                for c in 0..<channels { row[c] = max(row[c] + bias[c], 0) }
            }
        }
    }
}
