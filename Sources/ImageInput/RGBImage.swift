/// A decoded image as PIL's `Image.open(...).convert("RGB")` holds it: 8-bit RGB, not resized.
public struct RGBImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `3 * width * height` bytes, row-major, each pixel R, G, B (HWC).
    public let pixels: [UInt8]
    /// The file format it was decoded from; nil for images built in memory.
    public let format: ImageFormat?
    /// The mode PIL's `Image.open` reports for the file ("1", "L", "I;16", "P", "LA", "RGB",
    /// "RGBA", "CMYK"), before `convert("RGB")`; "RGB" for images built in memory.
    public let pilMode: String
    /// What decoding did that a user may want to know (see ``ImageNote``).
    public let notes: [ImageNote]

    /// An image from raw RGB bytes; nil unless `pixels.count == 3 * width * height` and both
    /// sides are at least 1.
    public init?(width: Int, height: Int, pixels: [UInt8]) {
        guard width > 0, height > 0,
              case let (count, overflow) = width.multipliedReportingOverflow(by: height), !overflow,
              case let (bytes, overflow3) = count.multipliedReportingOverflow(by: 3), !overflow3,
              pixels.count == bytes
        else { return nil }
        self.init(width: width, height: height, pixels: pixels, format: nil, pilMode: "RGB", notes: [])
    }

    init(width: Int, height: Int, pixels: [UInt8], format: ImageFormat?, pilMode: String, notes: [ImageNote]) {
        self.width = width
        self.height = height
        self.pixels = pixels
        self.format = format
        self.pilMode = pilMode
        self.notes = notes
    }
}
