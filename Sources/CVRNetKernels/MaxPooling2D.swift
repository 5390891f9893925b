/// What a pooling window sees outside the feature map.
public enum PoolingPadValue: Sendable, Equatable {
    /// Padded cells never win (TensorFlow `MaxPool` with `padding="SAME"`).
    case ignored
    /// Padded cells hold zero (Keras `ZeroPadding2D` followed by a 'valid' `MaxPooling2D`,
    /// as in ResNet50's `pool1_pad` + `pool1_pool`).
    case zero
}

/// Keras `MaxPooling2D` over one HWC map, threaded over output rows.
///
/// - Parameters:
///   - shape: the whole input map's shape.
///   - inputFirstRow: `input` holds the map's rows from this one on (a band: the rows the output
///     rows' windows cover).
///   - window: pool size, strides and padding (`Padding2D.tensorflowSame` for Keras 'same').
///   - outputRows: the output rows to compute (all by default), written to `output` from its
///     first row.
///   - output: `outputRows.count` x output width x channels floats.
public func maxPooling2D(input: UnsafePointer<Float>, shape: FeatureMapShape, inputFirstRow: Int = 0,
                         window: WindowGeometry, padValue: PoolingPadValue, outputRows: Range<Int>? = nil,
                         output: UnsafeMutablePointer<Float>, context: ComputeContext) {
    let c = shape.channels
    let (oh, ow) = window.outputSize(height: shape.height, width: shape.width)
    let band = outputRows ?? 0..<oh
    context.parallelChunks(band.count, minimumChunk: 1) { rows in
        for r in rows {
            let oy = band.lowerBound + r
            let iy0 = oy * window.strideHeight - window.padding.top
            for ox in 0..<ow {
                let ix0 = ox * window.strideWidth - window.padding.left
                let dst = output + (r * ow + ox) * c
                var first = true
                var sawPadding = false
                for ky in 0..<window.kernelHeight {
                    let iy = iy0 + ky
                    for kx in 0..<window.kernelWidth {
                        let ix = ix0 + kx
                        if iy < 0 || iy >= shape.height || ix < 0 || ix >= shape.width {
                            sawPadding = true
                            continue
                        }
                        let src = input + ((iy - inputFirstRow) * shape.width + ix) * c
                        if first {
                            dst.update(from: src, count: c)
                            first = false
                        } else {
                            for ch in 0..<c { dst[ch] = max(dst[ch], src[ch]) }
                        }
                    }
                }
                if first {
                    // A window entirely in the padding (cannot happen for Keras geometries).
                    dst.update(repeating: padValue == .zero ? 0 : -.infinity, count: c)
                } else if sawPadding && padValue == .zero {
                    for ch in 0..<c { dst[ch] = max(dst[ch], 0) }
                }
            }
        }
    }
}
