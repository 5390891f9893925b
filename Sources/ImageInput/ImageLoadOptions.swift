/// Settings of ``KerasImageLoader``.
public struct ImageLoadOptions: Sendable, Equatable {
    /// Width of the model input in pixels (Keras `target_size[1]`).
    public var targetWidth: Int
    /// Height of the model input in pixels (Keras `target_size[0]`).
    public var targetHeight: Int
    /// What happens to 16-bit PNG samples.
    public var sixteenBit: SixteenBitPolicy
    /// Images with more pixels (width x height) than this are refused from their header,
    /// before any image-sized allocation. Bounds memory on hostile or absurd files (the decoded
    /// image takes 3 bytes per pixel). A value below 1 disables the limit.
    public var maxPixels: Int
    /// DICOM only: the VOI transformation (default: what the file says, else min-max).
    public var dicomWindow: DICOMWindow = .file
    /// DICOM only: the frame of a multi-frame file, 1-based (default 1).
    public var dicomFrame: Int = 1

    /// Creates options; the defaults are the CVR-Net notebook's (224 x 224, PIL's 16-bit clipping).
    public init(targetWidth: Int = 224, targetHeight: Int = 224, sixteenBit: SixteenBitPolicy = .clip,
                maxPixels: Int = 100_000_000) {
        self.targetWidth = targetWidth
        self.targetHeight = targetHeight
        self.sixteenBit = sixteenBit
        self.maxPixels = maxPixels
    }
}
