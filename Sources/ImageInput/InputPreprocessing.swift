/// What is done to the 0...255 RGB values of ``ModelInputImage/pixels`` before the network.
///
/// The CVR-Net notebook feeds raw values (`ImageDataGenerator()` without `rescale` or
/// `preprocessing_function`), so ``none`` is what its weights expect. The others follow
/// `keras.applications.imagenet_utils.preprocess_input` on float32 arrays, operation by
/// operation, so the float results are bit-identical to Keras's.
public enum InputPreprocessing: String, Sendable, CaseIterable {
    /// Raw 0...255 values, unchanged (the CVR-Net notebook).
    case none
    /// `x / 255` (a float32 division). Note: `ImageDataGenerator(rescale=1/255)` multiplies by
    /// float32(1/255) instead, which differs in the last bit for about half of the 256 values.
    case scale01
    /// `preprocess_input(mode="caffe")` (ResNet50, VGG): channels reversed to **BGR**, then the
    /// ImageNet BGR means 103.939, 116.779, 123.68 subtracted; no scaling. The output is BGR.
    case caffe
    /// `preprocess_input(mode="tf")` (Xception, Inception, MobileNet): `x /= 127.5; x -= 1`,
    /// giving -1...1.
    case tf

    /// ImageNet channel means in BGR order, as Keras lists them (`mean = [103.939, 116.779, 123.68]`).
    private static let caffeMeansBGR: (Float, Float, Float) = (103.939, 116.779, 123.68)

    /// Applies the preprocessing in place to HWC RGB values (`pixels.count` a multiple of 3).
    public func apply(to pixels: inout [Float]) {
        switch self {
        case .none:
            return
        case .scale01:
            for i in pixels.indices { pixels[i] = pixels[i] / 255 }
        case .tf:
            for i in pixels.indices {
                let scaled = pixels[i] / 127.5  // x /= 127.5
                pixels[i] = scaled - 1          // x -= 1.0
            }
        case .caffe:
            let (meanB, meanG, meanR) = Self.caffeMeansBGR
            pixels.withUnsafeMutableBufferPointer { values in
                var i = 0
                while i + 2 < values.count {
                    let red = values[i], blue = values[i + 2]
                    values[i] = blue - meanB          // x[..., ::-1]; x[..., 0] -= mean[0]
                    values[i + 1] = values[i + 1] - meanG
                    values[i + 2] = red - meanR
                    i += 3
                }
            }
        }
    }
}
