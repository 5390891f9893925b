/// Bilinear resizing of a one-channel map as TensorFlow's `tf.image.resize(method="bilinear")`
/// does it by default (`antialias=False`, which runs `ResizeBilinear` with
/// `half_pixel_centers=True`, `align_corners=False`):
///
/// output pixel `o` samples the input at `s = (o + 0.5) · in / out − 0.5`; the two neighbours are
/// `max(floor(s), 0)` and `min(ceil(s), in − 1)`, weighted by `s − floor(s)`. Pixel centres of
/// input and output line up; the border rows and columns are held (clamped), never extrapolated.
/// Rows are interpolated after columns, `top + (bottom − top) · dy` with
/// `top = tl + (tr − tl) · dx`, as TensorFlow's kernel computes it.
public enum BilinearResize {
    /// `map` (`height x width`, row-major) resized to `outHeight x outWidth`.
    public static func resize(_ map: [Float], height: Int, width: Int, outHeight: Int, outWidth: Int) -> [Float] {
        precondition(map.count == height * width && height > 0 && width > 0 && outHeight > 0 && outWidth > 0)
        let xs = weights(input: width, output: outWidth)
        let ys = weights(input: height, output: outHeight)
        var out = [Float](repeating: 0, count: outHeight * outWidth)
        map.withUnsafeBufferPointer { m in
            out.withUnsafeMutableBufferPointer { o in
                for (y, wy) in ys.enumerated() {
                    let top = wy.lower * width, bottom = wy.upper * width
                    for (x, wx) in xs.enumerated() {
                        let tl = m[top + wx.lower], tr = m[top + wx.upper]
                        let bl = m[bottom + wx.lower], br = m[bottom + wx.upper]
                        let t = tl + (tr - tl) * wx.fraction
                        let b = bl + (br - bl) * wx.fraction
                        o[y * outWidth + x] = t + (b - t) * wy.fraction
                    }
                }
            }
        }
        return out
    }

    /// TensorFlow's `compute_interpolation_weights` with the half-pixel scaler.
    private static func weights(input: Int, output: Int) -> [(lower: Int, upper: Int, fraction: Float)] {
        let scale = Float(input) / Float(output)
        return (0..<output).map { o in
            let s = (Float(o) + 0.5) * scale - 0.5
            let f = s.rounded(.down)
            return (max(Int(f), 0), min(Int(s.rounded(.up)), input - 1), s - f)
        }
    }
}
