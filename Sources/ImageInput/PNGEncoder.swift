import CImageCodecs
import Foundation

/// Writes 8-bit RGB images as PNG with libpng (`cvr_encode_png_rgb8` in `CImageCodecs`).
public enum PNGEncoder {
    /// The PNG file contents of `image`. Throws a one-line message if libpng fails.
    public static func encode(_ image: RGBImage) throws(PNGEncodingError) -> Data {
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = image.pixels.withUnsafeBufferPointer { px in
            cvr_encode_png_rgb8(px.baseAddress, Int32(image.width), Int32(image.height), &out, &size, &message, message.count)
        }
        guard status == CVR_OK, let out else {
            throw PNGEncodingError(message: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        defer { cvr_free_encoded(out) }
        return Data(bytes: out, count: size)
    }

    /// Encodes `image` and writes it to `path` atomically (replacing any file there).
    public static func write(_ image: RGBImage, to path: String) throws -> Void {
        try encode(image).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// libpng could not encode an image.
public struct PNGEncodingError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
