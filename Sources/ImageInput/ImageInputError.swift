/// Why an image could not be loaded. Every case names the file (the path as given, or the
/// name passed with in-memory data), and ``description`` is one sentence fit to show a user.
public enum ImageInputError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Nothing exists at the path.
    case fileNotFound(path: String)
    /// The file exists but the process may not read it.
    case permissionDenied(path: String)
    /// The path names a directory.
    case isDirectory(path: String)
    /// Opening or reading failed for another reason; `reason` is the system's explanation.
    case readFailed(path: String, reason: String)
    /// The file has zero bytes.
    case emptyFile(name: String)
    /// The bytes start with neither the PNG nor the JPEG signature (and carry no DICOM "DICM" at 128); `leadingBytes` are the
    /// first (up to 8) bytes, which usually tell what the file really is.
    case unknownFormat(name: String, leadingBytes: [UInt8])
    /// The data ends before the image is complete (an interrupted download or copy).
    case truncated(name: String, format: ImageFormat, detail: String)
    /// The decoder rejected the data; `detail` is its explanation.
    case corrupt(name: String, format: ImageFormat, detail: String)
    /// width x height exceeds the caller's limit (``ImageLoadOptions/maxPixels``).
    case tooManyPixels(name: String, width: Int, height: Int, limit: Int)
    /// A valid file of a kind Keras/PIL cannot load either (e.g. 12-bit JPEG).
    case unsupported(name: String, format: ImageFormat, detail: String)
    /// Memory for the decoded image could not be allocated.
    case outOfMemory(name: String, width: Int, height: Int)
    /// The loader's target size is not positive.
    case invalidTargetSize(width: Int, height: Int)

    /// The file name or path the error concerns ("" for ``invalidTargetSize(width:height:)``).
    public var name: String {
        switch self {
        case .fileNotFound(let name), .permissionDenied(let name), .isDirectory(let name),
             .readFailed(let name, _), .emptyFile(let name), .unknownFormat(let name, _),
             .truncated(let name, _, _), .corrupt(let name, _, _), .tooManyPixels(let name, _, _, _),
             .unsupported(let name, _, _), .outOfMemory(let name, _, _):
            return name
        case .invalidTargetSize:
            return ""
        }
    }

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "cannot open image \(path): no such file"
        case .permissionDenied(let path):
            return "cannot open image \(path): permission denied"
        case .isDirectory(let path):
            return "cannot read image \(path): it is a directory, not a file"
        case .readFailed(let path, let reason):
            return "cannot read image \(path): \(reason)"
        case .emptyFile(let name):
            return "image \(name) is an empty file (0 bytes)"
        case .unknownFormat(let name, let leadingBytes):
            let hex = leadingBytes.map { byte in
                let digits = String(byte, radix: 16, uppercase: true)
                return digits.count == 1 ? "0" + digits : digits
            }.joined(separator: " ")
            return "image \(name) is neither PNG nor JPEG: it starts with bytes \(hex), which match neither signature (nor is it DICOM: no DICM at byte 128)"
        case .truncated(let name, let format, let detail):
            return "\(format.rawValue) image \(name) is truncated: \(detail)"
        case .corrupt(let name, let format, let detail):
            return "\(format.rawValue) image \(name) is corrupt: \(detail)"
        case .tooManyPixels(let name, let width, let height, let limit):
            let pixels = width.multipliedReportingOverflow(by: height)
            let count = pixels.overflow ? "more than \(Int.max)" : "\(pixels.partialValue)"
            // The command line adds which flag raises the limit (cvrnet's ErrorMessages).
            return "image \(name) is \(width) x \(height) = \(count) pixels, more than the limit of \(limit)"
        case .unsupported(let name, let format, let detail):
            return "\(format.rawValue) image \(name) is not supported: \(detail)"
        case .outOfMemory(let name, let width, let height):
            return "not enough memory to decode image \(name) (\(width) x \(height) pixels)"
        case .invalidTargetSize(let width, let height):
            return "invalid target size \(width) x \(height): both sides must be at least 1"
        }
    }
}
