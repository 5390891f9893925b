/// The depthwise half of a Keras `SeparableConv2D(kernel_size=3, padding="same", strides=1)`:
/// every channel is convolved with its own 3x3 filter, zero padding of one on each side.
///
/// Layouts: input and output HWC; `kernel` is Keras's `depthwise_kernel` of shape (3, 3, C, 1),
/// i.e. index `(ky * 3 + kx) * C + c`. Vectorised over channels (8 lanes), threaded over rows.
/// `reluInput` applies `max(x, 0)` while reading, which fuses Xception's pre-activation
/// `Activation("relu")` (the un-activated map is still needed by the block's residual branch).
public func depthwiseConvolution3x3(input: UnsafePointer<Float>, shape: FeatureMapShape,
                                    kernel: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                    reluInput: Bool) {
    let h = shape.height, w = shape.width, c = shape.channels
    let vectorChannels = c & ~7
    parallelChunks(h, minimumChunk: 2) { rows in
        for y in rows {
            let ky0 = y == 0 ? 1 : 0
            let ky1 = y == h - 1 ? 1 : 2
            for x in 0..<w {
                let kx0 = x == 0 ? 1 : 0
                let kx1 = x == w - 1 ? 1 : 2
                let dst = output + (y * w + x) * c
                var ch = 0
                while ch < vectorChannels {
                    var acc = SIMD8<Float>(repeating: 0)
                    for ky in ky0...ky1 {
                        let rowBase = input + ((y + ky - 1) * w + (x - 1)) * c + ch
                        for kx in kx0...kx1 {
                            var v = UnsafeRawPointer(rowBase + kx * c).loadUnaligned(as: SIMD8<Float>.self)
                            if reluInput { v = v.replacing(with: 0, where: v .< 0) }
                            let k = UnsafeRawPointer(kernel + (ky * 3 + kx) * c + ch).loadUnaligned(as: SIMD8<Float>.self)
                            acc = acc.addingProduct(v, k)
                        }
                    }
                    UnsafeMutableRawPointer(dst + ch).storeBytes(of: acc, as: SIMD8<Float>.self)
                    ch += 8
                }
                while ch < c {
                    var acc: Float = 0
                    for ky in ky0...ky1 {
                        for kx in kx0...kx1 {
                            var v = input[((y + ky - 1) * w + (x + kx - 1)) * c + ch]
                            if reluInput { v = max(v, 0) }
                            acc += v * kernel[(ky * 3 + kx) * c + ch]
                        }
                    }
                    dst[ch] = acc
                    ch += 1
                }
            }
        }
    }
}
