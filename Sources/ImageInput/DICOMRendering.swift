/// What the grayscale display pipeline did to a DICOM frame, so that a result can be
/// audited (recorded by `classify --json` and `score`).
public struct DICOMRendering: Sendable, Equatable, CustomStringConvertible {
    /// The frame used, 1-based, and how many the file has.
    public var frame: Int
    public var frameCount: Int
    /// Photometric Interpretation, e.g. "MONOCHROME1".
    public var photometric: String
    /// Bits Stored and whether the stored values are signed.
    public var bitsStored: Int
    public var signed: Bool
    /// The modality transformation: "LUT" (Modality LUT Sequence), "rescale S*m+b" or "none".
    public var modality: String
    /// The VOI transformation: "VOI LUT", "window C,W LINEAR" (or SIGMOID/LINEAR_EXACT),
    /// "min-max window C,W".
    public var voi: String
    /// Whether black and white were swapped (MONOCHROME1, Presentation LUT Shape INVERSE).
    public var inverted: Bool

    public var description: String {
        var parts = ["frame \(frame) of \(frameCount)", photometric, "\(bitsStored)-bit \(signed ? "signed" : "unsigned")",
                     "modality \(modality)", voi]
        if inverted { parts.append("inverted") }
        return parts.joined(separator: ", ")
    }
}
