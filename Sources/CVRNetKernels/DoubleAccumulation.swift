import CAVX512Kernels

/// The double-precision path of `Convolution2D` (`accumulation: .double`), used for ResNet50's
/// stem convolution only.
///
/// Why the stem: CVR-Net's input is raw 0..255 pixels (the notebook applies no
/// `preprocess_input`), and the stem's 7x7x3 kernel sums 147 products of them, with
/// BatchNormalization then subtracting a large mean; its float32 rounding error, relative to
/// the output, is the largest of the network. The rest of ResNet50 carries that error to its
/// last output, and Grad-CAM's head-1 map (a sum over 4096 channels of terms of both signs)
/// amplifies it. Keras computes in float32 and its own head-1 map carries the same kind of
/// error: Keras in float64 with only this layer in float32 reproduces 86-98% of Keras
/// float32's head-1 difference from float64 (Xception's first convolution, 27 products of raw
/// pixels, under 1e-6). Summing the stem in double halves cvrnet's head-1 difference from
/// Keras in float64 (`GradCAMParityTests`).
///
/// Float inputs and weights multiply exactly in double (24 + 24 significand bits), so the only
/// rounding left is double summation (about 1e-16 relative) and the one rounding of the result
/// to float. The GEMM (12544x147x64 per image) runs on `cblas_dgemm` on the portable path and
/// on cvrnet's float64 kernel (`packed_gemm_f64_avx2.c`, weights packed at load) on CPUs with
/// AVX2 or AVX-512: dgemm there was the slowest single step of the pass (about 6 ms on 2 AVX2
/// cores) and its speed depended on the OpenBLAS core type.
public enum DoubleAccumulation {
    /// Kernel `[kh * kw * cin, cout]` (HWIO) and bias in double.
    struct Weights {
        let kernel: [Double]
        let bias: [Double]
        /// `kernel` packed for the float64 kernel (`pack()`), and `bias` padded to its panels.
        private(set) var packedKernel: [Double]?
        private(set) var paddedBias: [Double] = []

        /// The convolution's float weights as they are.
        init(_ conv: Convolution2D) {
            kernel = conv.kernel.array.map(Double.init)
            bias = conv.bias.array.map(Double.init)
        }

        /// Packs the weights for `cvrnet_avx2_packed_gemm_f64` (panels of 8 columns, zero-padded).
        mutating func pack(patchLength k: Int, outputChannels n: Int) {
            let panel = Int(CVRNET_GEMM_F64_PANEL_WIDTH)
            let padded = (n + panel - 1) / panel * panel
            var packed = [Double](repeating: 0, count: k * padded)
            kernel.withUnsafeBufferPointer { b in
                packed.withUnsafeMutableBufferPointer { cvrnet_avx2_pack_gemm_weights_f64(b.baseAddress!, k, n, $0.baseAddress!) }
            }
            packedKernel = packed
            paddedBias = bias + [Double](repeating: 0, count: padded - n)
        }

        /// The convolution's float weights with BatchNormalization folded in double:
        /// `w * s`, `(b - mean) * s + beta` with `s = gamma / sqrt(var + eps)`, Keras's inference
        /// formula in float64. Call before the float weights are folded.
        init(_ conv: Convolution2D, gamma: [Float], beta: [Float], movingMean: [Float],
             movingVariance: [Float], epsilon: Float) {
            let n = conv.outputChannels
            let scale = (0..<n).map { Double(gamma[$0]) / (Double(movingVariance[$0]) + Double(epsilon)).squareRoot() }
            let k = conv.kernel.pointer
            kernel = (0..<conv.patchLength * n).map { Double(k[$0]) * scale[$0 % n] }
            let b = conv.bias.pointer
            bias = (0..<n).map { (Double(b[$0]) - Double(movingMean[$0])) * scale[$0] + Double(beta[$0]) }
        }
    }

    /// Output rows per band: the float im2col band of `Convolution2D.bandRows`.
    static func bandPixels(_ conv: Convolution2D, _ out: FeatureMapShape) -> Int {
        conv.bandRows(out) * out.width
    }

    /// Floats of scratch: the float im2col band (rounded up to 64 bytes), then the band in
    /// double and, for dgemm (HWIO weights), the band's double products (the packed float64
    /// kernel writes floats straight to the output).
    static func scratchCount(_ conv: Convolution2D, for shape: FeatureMapShape) -> Int {
        let pixels = bandPixels(conv, conv.outputShape(for: shape))
        let products = conv.weightLayout == .packed ? 0 : conv.outputChannels
        return floatArea(pixels * conv.patchLength) + 2 * pixels * (conv.patchLength + products)
    }

    static func floatArea(_ count: Int) -> Int { (count + 15) / 16 * 16 }

    /// `output = act(conv(input) (+ output))`, summed in double, rounded to float once.
    static func forward(_ conv: Convolution2D, input: UnsafePointer<Float>, inputShape: FeatureMapShape,
                        output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                        activation: Activation, accumulate: Bool, context: ComputeContext) {
        guard let weights = conv.doubleWeights else { preconditionFailure("packForInference was not called") }
        let out = conv.outputShape(for: inputShape)
        let n = conv.outputChannels, k = conv.patchLength
        let band = conv.bandRows(out)
        let pixels = band * out.width
        let columns = scratch
        let products = weights.packedKernel == nil ? n : 0  // as scratchCount: dgemm's double products
        (scratch + floatArea(pixels * k)).withMemoryRebound(to: Double.self, capacity: pixels * (k + products)) { a in
            let c = a + pixels * k  // dgemm only
            weights.kernel.withUnsafeBufferPointer { w in
                var y0 = 0
                while y0 < out.height {
                    let y1 = min(out.height, y0 + band)
                    let rows = (y1 - y0) * out.width
                    im2col(input: input, shape: inputShape, window: conv.window, outputRows: y0..<y1, output: columns,
                           context: context)
                    context.parallelChunks(rows, minimumChunk: 64) { range in
                        for i in range.lowerBound * k..<range.upperBound * k { a[i] = Double(columns[i]) }
                    }
                    let o = output + y0 * out.width * n
                    if let packed = weights.packedKernel {
                        // Tiles of rows between the threads; each output is the same chain however split.
                        let tile = Int(CVRNET_GEMM_F64_TILE_ROWS)
                        packed.withUnsafeBufferPointer { p in
                            weights.paddedBias.withUnsafeBufferPointer { b in
                                context.parallelChunks((rows + tile - 1) / tile, minimumChunk: 8) { tiles in
                                    cvrnet_avx2_packed_gemm_f64(tiles.lowerBound * tile, min(rows, tiles.upperBound * tile),
                                                                n, k, a, k, p.baseAddress!, b.baseAddress!, o, n,
                                                                activation == .relu ? 1 : 0, accumulate ? 1 : 0)
                                }
                            }
                        }
                        y0 = y1
                        continue
                    }
                    MatrixMultiply.multiply(m: rows, n: n, k: k, a: a, lda: k, b: w.baseAddress!, ldb: n, c: c, ldc: n,
                                            context: context)
                    context.parallelChunks(rows, minimumChunk: 64) { range in
                        for r in range {
                            for j in 0..<n {
                                var v = c[r * n + j] + weights.bias[j]
                                if accumulate { v += Double(o[r * n + j]) }
                                let f = Float(v)
                                o[r * n + j] = activation == .relu ? max(f, 0) : f
                            }
                        }
                    }
                    y0 = y1
                }
            }
        }
    }
}
