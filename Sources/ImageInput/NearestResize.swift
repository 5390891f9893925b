/// Pillow's NEAREST resize, which Keras `load_img` uses by default (`interpolation="nearest"`).
///
/// Pillow (`_imaging.c` resize -> `ImagingTransform` affine -> `ImagingScaleAffine`) picks, for
/// output index `i`, the source index `Int(xo)`, where `xo` starts at `0.5 * in / out` (a
/// Double) and grows by `in / out` once per output pixel: an accumulated sum, for rows and
/// columns alike. That differs from `floor((i + 0.5) * in / out)` exactly at boundaries (for a
/// 512-pixel side, 25 of 224 indices differ), so the accumulation is reproduced as is.
/// An image already of the target size is copied unchanged (Keras skips the resize).
public enum NearestResize {
    /// The source index for each of `outputSize` output indices along one axis.
    public static func sourceIndices(inputSize: Int, outputSize: Int) -> [Int] {
        guard inputSize > 0, outputSize > 0 else { return [] }
        if inputSize == outputSize { return Array(0..<outputSize) }
        let scale = Double(inputSize) / Double(outputSize)
        var position = 0.5 * scale
        var indices = [Int]()
        indices.reserveCapacity(outputSize)
        for _ in 0..<outputSize {
            // Pillow leaves a pixel unwritten if the index falls outside the source; with the
            // position at most in - scale/2 plus rounding noise, that cannot happen.
            indices.append(min(Int(position), inputSize - 1))
            position += scale
        }
        return indices
    }

    /// `image` resized to `width` x `height`; nil unless both are at least 1.
    public static func resize(_ image: RGBImage, width: Int, height: Int) -> RGBImage? {
        guard width > 0, height > 0 else { return nil }
        if width == image.width && height == image.height { return image }
        let columns = sourceIndices(inputSize: image.width, outputSize: width)
        let rows = sourceIndices(inputSize: image.height, outputSize: height)
        let count = width * height * 3
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            image.pixels.withUnsafeBufferPointer { input in
                gather(input, sourceWidth: image.width, rows: rows, columns: columns, into: output) { $0 }
            }
            initialized = count
        }
        return RGBImage(width: width, height: height, pixels: pixels, format: image.format,
                        pilMode: image.pilMode, notes: image.notes)
    }

    /// `image` resized to `width` x `height` as Float values 0...255 (Keras `img_to_array`),
    /// gathered straight from the 8-bit pixels; empty unless both sides are at least 1.
    public static func resizeToFloats(_ image: RGBImage, width: Int, height: Int) -> [Float] {
        guard width > 0, height > 0 else { return [] }
        let columns = sourceIndices(inputSize: image.width, outputSize: width)
        let rows = sourceIndices(inputSize: image.height, outputSize: height)
        let count = width * height * 3
        return [Float](unsafeUninitializedCapacity: count) { output, initialized in
            image.pixels.withUnsafeBufferPointer { input in
                gather(input, sourceWidth: image.width, rows: rows, columns: columns, into: output) { Float($0) }
            }
            initialized = count
        }
    }

    /// Copies source pixel (rows[y], columns[x]) to output pixel (y, x), converting each sample
    /// (to itself for 8-bit output, to Float for the model input).
    @inline(__always)
    private static func gather<Sample>(_ input: UnsafeBufferPointer<UInt8>, sourceWidth: Int, rows: [Int],
                                       columns: [Int], into output: UnsafeMutableBufferPointer<Sample>,
                                       _ convert: (UInt8) -> Sample) {
        var o = 0
        for row in rows {
            let base = row * sourceWidth * 3
            for column in columns {
                let s = base + column * 3
                output[o] = convert(input[s])
                output[o + 1] = convert(input[s + 1])
                output[o + 2] = convert(input[s + 2])
                o += 3
            }
        }
    }
}
