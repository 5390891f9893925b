import CDICOM
import CImageCodecs

/// The container formats the loader decodes, recognised by their first bytes (never by the
/// file name's extension, as PIL's `Image.open` also goes by content).
public enum ImageFormat: String, Sendable, Equatable, CaseIterable {
    /// PNG: signature `89 50 4E 47 0D 0A 1A 0A`.
    case png = "PNG"
    /// JPEG: `FF D8 FF` (start-of-image followed by a marker), PIL's test.
    case jpeg = "JPEG"
    /// DICOM Part 10 file: "DICM" at offset 128 (after the 128-byte preamble), checked first.
    case dicom = "DICOM"

    /// The format the bytes start with, or nil when they match neither signature.
    public static func detect(_ bytes: [UInt8]) -> ImageFormat? {
        if bytes.withUnsafeBufferPointer({ cvr_dicom_has_signature($0.baseAddress, $0.count) }) == 1 { return .dicom }
        let format = bytes.withUnsafeBufferPointer { cvr_detect_format($0.baseAddress, $0.count) }
        switch format {
        case CVR_FORMAT_PNG: return .png
        case CVR_FORMAT_JPEG: return .jpeg
        default: return nil
        }
    }
}
