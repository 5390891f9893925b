import ImageInput

/// What the image targets do with one input: decode it exactly as `cvrnet` does (the format
/// from the bytes, PIL's conversion rules, Pillow's NEAREST resize) and check the outcome.
///
/// Nothing may crash, leak or read out of bounds (the sanitizers watch that); on top of that a
/// success must give a full input tensor of values 0...255 and a failure one line naming the
/// input. A broken promise traps, which libFuzzer reports like any other crash.
public enum ImageFuzzing {
    /// The name errors must carry.
    static let name = "fuzz-input"

    /// Images above 4 megapixels are refused from their header: that path is the same for any
    /// limit, and large allocations would only slow the fuzzer down.
    static let pixelLimit = 1 << 22

    /// Even-sized inputs: the default pipeline (224 x 224, 16-bit samples as PIL reads them).
    static let keras = KerasImageLoader(options: ImageLoadOptions(maxPixels: pixelLimit))
    /// Odd-sized inputs: a small non-square target and the 16-bit rescaling policy.
    static let other = KerasImageLoader(options: ImageLoadOptions(targetWidth: 31, targetHeight: 17,
                                                                  sixteenBit: .rescale, maxPixels: pixelLimit))

    /// Runs one input if it is of `format` (by its leading bytes, as the loader decides);
    /// other inputs return at once, so each target spends its time on its own decoder.
    public static func run(_ bytes: [UInt8], only format: ImageFormat) {
        guard ImageFormat.detect(bytes) == format else { return }
        run(bytes)
    }

    /// Runs one input through the loader and checks the result.
    public static func run(_ bytes: [UInt8]) {
        run(bytes, loader: bytes.count % 2 == 0 ? keras : other)
    }

    /// Runs one input through `loader` and checks the result.
    static func run(_ bytes: [UInt8], loader: KerasImageLoader) {
        let options = loader.options
        do {
            let input = try loader.load(data: bytes, name: name)
            require(input.width == options.targetWidth && input.height == options.targetHeight,
                    "model input is \(input.width) x \(input.height)")
            require(input.pixels.count == options.targetWidth * options.targetHeight * 3,
                    "model input has \(input.pixels.count) values")
            require(input.sourceWidth >= 1 && input.sourceHeight >= 1
                    && input.sourceWidth * input.sourceHeight <= pixelLimit,
                    "source size \(input.sourceWidth) x \(input.sourceHeight)")
            for value in input.pixels where !(value >= 0 && value <= 255 && value == value.rounded()) {
                require(false, "pixel value \(value)")
            }
        } catch {
            requireOneLine(error.description, naming: name)
        }
    }
}

/// Traps with `message` unless `condition` holds (also in optimised builds).
@inline(never)
public func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz invariant broken: \(message())") }
}

/// Checks that an error message is one non-empty line that names the input.
public func requireOneLine(_ message: String, naming name: String) {
    require(!message.isEmpty && !message.contains("\n"), "message is not one line: \(message.debugDescription)")
    require(message.contains(name), "message does not name the input: \(message)")
}
