/// Something loading did to an image that a user may want to know about: the model input is
/// still exactly what Keras `load_img` gives, but it may not be what the user pictures.
public enum ImageNote: Sendable, Equatable, CustomStringConvertible {
    /// A 16-bit gray PNG had samples above 255, clipped to 255 as PIL does; `maxValue` is the
    /// largest sample in the file.
    case sixteenBitClipped(maxValue: Int)
    /// A 16-bit RGB, RGBA or gray+alpha PNG was reduced to its high bytes (`v >> 8`), as PIL does.
    case sixteenBitHighByteKept
    /// 16-bit samples were rescaled (``SixteenBitPolicy/rescale``), which Keras does not do.
    case sixteenBitRescaled
    /// The file's EXIF Orientation tag (2...8) asks for a rotation or flip; like Keras, the
    /// loader ignores it, so the model sees the pixels as stored.
    case exifOrientationIgnored(Int)
    /// The image had an alpha channel; it was dropped without compositing, as PIL's `convert("RGB")` does.
    case alphaDropped
    /// The PNG had a tRNS (transparency) chunk; `convert("RGB")` ignores it.
    case transparencyIgnored
    /// A CMYK (or YCCK) JPEG was converted to RGB with PIL's simple, profile-free formula.
    case cmykConverted
    /// PNG chunks at or after the image data had `count` CRC mismatches; PIL does not check
    /// those CRCs, so the data was used.
    case checksumErrorsIgnored(count: Int)
    /// The PNG's compressed image data ended `missingRows` rows early (rows of the interlace
    /// passes for an interlaced file); as in PIL those pixels are black.
    case imageDataEndedEarly(missingRows: Int)
    /// After the last row of the image the decoder met an error, which PIL never reaches.
    case trailingErrorIgnored(String)
    /// The decoder worked around damaged data (`count` warnings; the first is quoted), as PIL
    /// does silently. The picture may show artefacts.
    case decoderWarnings(count: Int, first: String)
    /// A DICOM frame went through the grayscale display pipeline as described (frame,
    /// modality and VOI transformation, inversion); recorded for audit.
    case dicomRendered(DICOMRendering)

    /// One clause describing the note, e.g. for a warning line.
    public var description: String {
        switch self {
        case .sixteenBitClipped(let maxValue):
            return "16-bit samples up to \(maxValue) were clipped at 255, as Keras/PIL does"
        case .sixteenBitHighByteKept:
            return "16-bit samples were reduced to their high byte, as Keras/PIL does"
        case .sixteenBitRescaled:
            return "16-bit samples were rescaled to 0...255 (not what Keras does)"
        case .exifOrientationIgnored(let orientation):
            return "EXIF orientation \(orientation) ignored, as Keras does (pixels used as stored)"
        case .alphaDropped:
            return "alpha channel dropped without compositing, as Keras/PIL does"
        case .transparencyIgnored:
            return "PNG transparency (tRNS) ignored, as Keras/PIL does"
        case .cmykConverted:
            return "CMYK JPEG converted to RGB with PIL's formula (no colour profile)"
        case .checksumErrorsIgnored(let count):
            return "\(count) PNG chunk checksum error(s) after the header ignored, as PIL does"
        case .imageDataEndedEarly(let missingRows):
            return "PNG image data ended \(missingRows) row(s) early; those pixels are black, as in PIL"
        case .trailingErrorIgnored(let message):
            return "error after the last image row ignored, as PIL does (\(message))"
        case .decoderWarnings(let count, let first):
            return "decoder worked around damaged data \(count) time(s), as PIL does (\(first))"
        case .dicomRendered(let rendering):
            return "DICOM rendered: \(rendering)"
        }
    }
}
