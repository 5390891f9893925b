import CAVX512Kernels

/// The depthwise half of a Keras `SeparableConv2D(kernel_size=3, padding="same", strides=1)`:
/// every channel is convolved with its own 3x3 filter, zero padding of one on each side.
///
/// Computes output rows `outputRows` (all by default) into `output` starting at its first row.
/// `input` holds the map's rows from `inputFirstRow` on: a band holding the output rows and one
/// row on each side (where the map has them) is enough.
/// Layouts: input and output HWC; `kernel` is Keras's `depthwise_kernel` of shape (3, 3, C, 1),
/// i.e. index `(ky * 3 + kx) * C + c`. Threaded over output rows. Taps are accumulated in
/// Keras's order (ky, then kx) with padded taps skipped (they contribute exact zeros).
/// `reluInput` applies `max(x, 0)` while reading, which fuses Xception's pre-activation
/// `Activation("relu")` (the un-activated map is still needed by the block's residual branch).
/// Runs the C kernel of `instructionSet` (AVX-512 or AVX2), or `depthwiseConvolution3x3Portable`
/// for `.portable`; all three give bit-identical results.
public func depthwiseConvolution3x3(input: UnsafePointer<Float>, shape: FeatureMapShape, inputFirstRow: Int = 0,
                                    kernel: UnsafePointer<Float>, outputRows: Range<Int>? = nil,
                                    output: UnsafeMutablePointer<Float>, reluInput: Bool,
                                    instructionSet: InstructionSet = .selected, context: ComputeContext) {
    precondition(instructionSet.isRunnable, "\(instructionSet) kernels do not run here")
    let vectorKernel: (@convention(c) (UnsafePointer<Float>?, Int, Int, Int, Int, UnsafePointer<Float>?, Int, Int,
                                       UnsafeMutablePointer<Float>?, Int32) -> Void)
    switch instructionSet {
    case .avx512: vectorKernel = cvrnet_depthwise_conv3x3
    case .avx2: vectorKernel = cvrnet_avx2_depthwise_conv3x3
    case .portable:
        depthwiseConvolution3x3Portable(input: input, shape: shape, inputFirstRow: inputFirstRow, kernel: kernel,
                                        outputRows: outputRows, output: output, reluInput: reluInput, context: context)
        return
    }
    let h = shape.height, w = shape.width, c = shape.channels
    let band = outputRows ?? 0..<h
    context.parallelChunks(band.count, minimumChunk: 2) { rows in
        vectorKernel(input, inputFirstRow, h, w, c, kernel, band.lowerBound + rows.lowerBound,
                     band.lowerBound + rows.upperBound, output + rows.lowerBound * w * c, reluInput ? 1 : 0)
    }
}

/// `depthwiseConvolution3x3` in portable Swift: the innermost loop runs over contiguous channels
/// so the compiler vectorises it (multiply then add, never fused, like the C kernels).
func depthwiseConvolution3x3Portable(input: UnsafePointer<Float>, shape: FeatureMapShape, inputFirstRow: Int = 0,
                                     kernel: UnsafePointer<Float>, outputRows: Range<Int>? = nil,
                                     output: UnsafeMutablePointer<Float>, reluInput: Bool,
                                     context: ComputeContext) {
    let h = shape.height, w = shape.width, c = shape.channels
    let band = outputRows ?? 0..<h
    context.parallelChunks(band.count, minimumChunk: 2) { rows in
        for r in rows {
            let y = band.lowerBound + r
            let outRow = output + r * w * c
            outRow.update(repeating: 0, count: w * c)
            for ky in 0..<3 {
                let iy = y + ky - 1
                if iy < 0 || iy >= h { continue }
                let inRow = input + (iy - inputFirstRow) * w * c
                for x in 0..<w {
                    let o = outRow + x * c
                    for kx in 0..<3 {
                        let ix = x + kx - 1
                        if ix < 0 || ix >= w { continue }
                        depthwiseTap(o, inRow + ix * c, kernel + (ky * 3 + kx) * c, c, reluInput)
                    }
                }
            }
        }
    }
}

/// `o[i] += max?(x[i]) * k[i]` over `n` contiguous channels.
@inline(__always)
private func depthwiseTap(_ o: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ k: UnsafePointer<Float>,
                          _ n: Int, _ relu: Bool) {
    if relu {
        for i in 0..<n { o[i] += max(x[i], 0) * k[i] }
    } else {
        for i in 0..<n { o[i] += x[i] * k[i] }
    }
}
