/// Unfolds the windows of an HWC feature map into rows of a matrix for GEMM convolution.
///
/// Unfolds output rows `outputRows` (all of them by default); row `(oy - outputRows.lowerBound)
/// * outWidth + ox` of the matrix holds the window under output pixel (oy, ox), ordered
/// (ky, kx, channel) - the order of a Keras HWIO kernel flattened to `[kh * kw * cin, cout]`.
/// Padded positions are zeros (Keras `ZeroPadding2D` and TensorFlow 'same' both pad with 0).
///
/// - Parameters:
///   - input: `shape.count` floats, HWC.
///   - output: `outputRows.count * outWidth * kh * kw * channels` floats.
public func im2col(input: UnsafePointer<Float>, shape: FeatureMapShape, window: WindowGeometry,
                   outputRows: Range<Int>? = nil, output: UnsafeMutablePointer<Float>,
                   context: ComputeContext) {
    let c = shape.channels
    let (oh, ow) = window.outputSize(height: shape.height, width: shape.width)
    let band = outputRows ?? 0..<oh
    let kh = window.kernelHeight, kw = window.kernelWidth
    let rowLength = kh * kw * c
    context.parallelChunks(band.count, minimumChunk: 2) { rows in
        for r in rows {
            let oy = band.lowerBound + r
            for ox in 0..<ow {
                var dst = output + (r * ow + ox) * rowLength
                for ky in 0..<kh {
                    let iy = oy * window.strideHeight - window.padding.top + ky
                    if iy < 0 || iy >= shape.height {
                        dst.update(repeating: 0, count: kw * c)
                        dst += kw * c
                        continue
                    }
                    let ix0 = ox * window.strideWidth - window.padding.left
                    if ix0 >= 0 && ix0 + kw <= shape.width {
                        // Whole window row inside the map: one contiguous copy.
                        dst.update(from: input + (iy * shape.width + ix0) * c, count: kw * c)
                        dst += kw * c
                        continue
                    }
                    for kx in 0..<kw {
                        let ix = ix0 + kx
                        if ix < 0 || ix >= shape.width {
                            dst.update(repeating: 0, count: c)
                        } else {
                            dst.update(from: input + (iy * shape.width + ix) * c, count: c)
                        }
                        dst += c
                    }
                }
            }
        }
    }
}
