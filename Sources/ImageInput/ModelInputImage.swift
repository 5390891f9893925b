/// The model input for one image: exactly `img_to_array(load_img(path, target_size=...))`.
public struct ModelInputImage: Sendable, Equatable {
    /// Width of the input (the target width).
    public let width: Int
    /// Height of the input (the target height).
    public let height: Int
    /// Width of the image in the file.
    public let sourceWidth: Int
    /// Height of the image in the file.
    public let sourceHeight: Int
    /// The file's format.
    public let sourceFormat: ImageFormat
    /// The mode PIL's `Image.open` reports for the file (before `convert("RGB")`).
    public let sourcePILMode: String
    /// `height * width * 3` values, row-major HWC, RGB order, each an integer 0...255 as Float,
    /// exactly as Keras `img_to_array` gives them (no preprocessing; see ``InputPreprocessing``).
    public let pixels: [Float]
    /// What loading did that a user may want to know (see ``ImageNote``).
    public let notes: [ImageNote]

    /// Creates a model input from its parts.
    public init(width: Int, height: Int, sourceWidth: Int, sourceHeight: Int, sourceFormat: ImageFormat,
                sourcePILMode: String, pixels: [Float], notes: [ImageNote]) {
        self.width = width
        self.height = height
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        self.sourceFormat = sourceFormat
        self.sourcePILMode = sourcePILMode
        self.pixels = pixels
        self.notes = notes
    }
}
