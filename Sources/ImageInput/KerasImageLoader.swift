/// Loads PNG and JPEG files exactly as Keras `load_img(path, target_size=(h, w))` followed by
/// `img_to_array` does with the default arguments (`color_mode="rgb"`,
/// `interpolation="nearest"`, `keep_aspect_ratio=False`):
///
/// 1. PIL `Image.open` on the file's bytes (format from the content, not the extension);
/// 2. `convert("RGB")`: gray replicated, alpha dropped without compositing, palette expanded
///    (transparency ignored), 16-bit gray clipped at 255, other 16-bit data reduced to the
///    high byte, CMYK by PIL's formula; no gamma, ICC or EXIF rotation;
/// 3. `resize((w, h), NEAREST)` with Pillow's index rule (``NearestResize``), skipped when the
///    size already matches;
/// 4. float32 values 0...255, HWC.
///
/// The loader is an immutable value; share it freely between threads.
///
/// DICOM files (recognised by `DICM` at byte 128) go through GDCM instead (see
/// ``ImageFormat/dicom``). The loader refuses the damage it can see before GDCM reads the file
/// (elements running past the end, unknown VRs, a broken deflate stream, ...), but GDCM itself
/// can still abort or crash on a crafted file, and that takes the calling process down: the
/// library has no guard against it. The `cvrnet` tool decodes every DICOM file in a child
/// process first; an application that reads DICOM files from untrusted sources should do the
/// same (or run the loader in a separate process).
public struct KerasImageLoader: Sendable {
    /// The options every load uses.
    public let options: ImageLoadOptions

    /// A loader with the given options (default: 224 x 224, PIL's 16-bit clipping).
    public init(options: ImageLoadOptions = .init()) {
        self.options = options
    }

    /// The model input for the image file at `path`; errors name `path`.
    public func load(path: String) throws(ImageInputError) -> ModelInputImage {
        try load(data: ImageFileReader.read(path: path), name: path)
    }

    /// The model input for an image held in memory; `name` (a path or file name) is used in errors.
    public func load(data: [UInt8], name: String) throws(ImageInputError) -> ModelInputImage {
        guard options.targetWidth > 0, options.targetHeight > 0 else {
            throw .invalidTargetSize(width: options.targetWidth, height: options.targetHeight)
        }
        let (image, format) = try ImageDecoder.decode(data, name: name, options: options)
        let pixels = NearestResize.resizeToFloats(image, width: options.targetWidth, height: options.targetHeight)
        return ModelInputImage(width: options.targetWidth, height: options.targetHeight,
                               sourceWidth: image.width, sourceHeight: image.height,
                               sourceFormat: format, sourcePILMode: image.pilMode,
                               pixels: pixels, notes: image.notes)
    }

    /// The image file at `path` decoded to 8-bit RGB as PIL's `convert("RGB")` gives it, not resized.
    public func decodeRGB(path: String) throws(ImageInputError) -> RGBImage {
        try decodeRGB(data: ImageFileReader.read(path: path), name: path)
    }

    /// In-memory image bytes decoded to 8-bit RGB as PIL's `convert("RGB")` gives them, not resized.
    public func decodeRGB(data: [UInt8], name: String) throws(ImageInputError) -> RGBImage {
        try ImageDecoder.decode(data, name: name, options: options).image
    }
}
