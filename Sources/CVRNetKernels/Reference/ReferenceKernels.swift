/// Plain, obviously-correct versions of the optimised kernels, written straight from the Keras
/// definitions. Tests run every optimised kernel against its twin here on random shapes; nothing
/// on the inference path calls them.
public enum ReferenceKernels {
    /// Keras `Conv2D` on one HWC map with explicit padding (zeros), kernel HWIO, plus bias.
    public static func convolution2D(input: [Float], shape: FeatureMapShape, kernel: [Float], bias: [Float],
                                     window: WindowGeometry, outputChannels: Int) -> [Float] {
        let (oh, ow) = window.outputSize(height: shape.height, width: shape.width)
        let cin = shape.channels
        var out = [Float](repeating: 0, count: oh * ow * outputChannels)
        for oy in 0..<oh {
            for ox in 0..<ow {
                for o in 0..<outputChannels {
                    var acc: Double = Double(bias[o])
                    for ky in 0..<window.kernelHeight {
                        for kx in 0..<window.kernelWidth {
                            let iy = oy * window.strideHeight - window.padding.top + ky
                            let ix = ox * window.strideWidth - window.padding.left + kx
                            guard iy >= 0, iy < shape.height, ix >= 0, ix < shape.width else { continue }
                            for c in 0..<cin {
                                let w = kernel[((ky * window.kernelWidth + kx) * cin + c) * outputChannels + o]
                                acc += Double(input[(iy * shape.width + ix) * cin + c]) * Double(w)
                            }
                        }
                    }
                    out[(oy * ow + ox) * outputChannels + o] = Float(acc)
                }
            }
        }
        return out
    }

    /// Depthwise 3x3, stride 1, 'same' (one zero on every side); kernel (3, 3, C, 1).
    public static func depthwise3x3(input: [Float], shape: FeatureMapShape, kernel: [Float]) -> [Float] {
        let c = shape.channels
        var out = [Float](repeating: 0, count: shape.count)
        for y in 0..<shape.height {
            for x in 0..<shape.width {
                for ch in 0..<c {
                    var acc: Double = 0
                    for ky in 0..<3 {
                        for kx in 0..<3 {
                            let iy = y + ky - 1, ix = x + kx - 1
                            guard iy >= 0, iy < shape.height, ix >= 0, ix < shape.width else { continue }
                            acc += Double(input[(iy * shape.width + ix) * c + ch]) * Double(kernel[(ky * 3 + kx) * c + ch])
                        }
                    }
                    out[(y * shape.width + x) * c + ch] = Float(acc)
                }
            }
        }
        return out
    }

    /// Max pooling; padded cells are skipped (`.ignored`) or hold 0 (`.zero`).
    public static func maxPooling(input: [Float], shape: FeatureMapShape, window: WindowGeometry,
                                  padValue: PoolingPadValue) -> [Float] {
        let (oh, ow) = window.outputSize(height: shape.height, width: shape.width)
        let c = shape.channels
        var out = [Float](repeating: 0, count: oh * ow * c)
        for oy in 0..<oh {
            for ox in 0..<ow {
                for ch in 0..<c {
                    var m = -Float.infinity
                    for ky in 0..<window.kernelHeight {
                        for kx in 0..<window.kernelWidth {
                            let iy = oy * window.strideHeight - window.padding.top + ky
                            let ix = ox * window.strideWidth - window.padding.left + kx
                            if iy >= 0, iy < shape.height, ix >= 0, ix < shape.width {
                                m = max(m, input[(iy * shape.width + ix) * c + ch])
                            } else if padValue == .zero {
                                m = max(m, 0)
                            }
                        }
                    }
                    out[(oy * ow + ox) * c + ch] = m
                }
            }
        }
        return out
    }

    /// Keras `Dense`: `x W + b` for one vector, W of shape (inputs, units).
    public static func dense(input: [Float], kernel: [Float], bias: [Float], units: Int) -> [Float] {
        (0..<units).map { u in
            var acc = Double(bias[u])
            for i in input.indices { acc += Double(input[i]) * Double(kernel[i * units + u]) }
            return Float(acc)
        }
    }
}
