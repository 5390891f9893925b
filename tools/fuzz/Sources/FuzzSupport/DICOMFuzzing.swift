import ImageInput

/// What the DICOM target does with one input: decode it as `cvrnet` does, with the display
/// choices the command line offers, and check the outcome as the image targets do
/// (``ImageFuzzing/run(_:)``): a full tensor of values 0...255, or one line naming the input.
public enum DICOMFuzzing {
    /// The last byte picks the window and frame, so the fuzzer reaches `--dicom-window` and
    /// `--dicom-frame` paths (the chosen frame is checked against the file's frame count, and
    /// GDCM decodes every frame either way).
    static let windows: [DICOMWindow] = [.file, .minMax, .lung, .mediastinum]

    public static func run(_ bytes: [UInt8]) {
        guard ImageFormat.detect(bytes) == .dicom else { return }
        let selector = Int(bytes.last ?? 0)
        var options = ImageLoadOptions(maxPixels: ImageFuzzing.pixelLimit)
        options.dicomWindow = windows[selector & 3]
        options.dicomFrame = 1 + (selector >> 2) & 1
        if selector & 8 != 0 { options.targetWidth = 31; options.targetHeight = 17 }
        ImageFuzzing.run(bytes, loader: KerasImageLoader(options: options))
    }
}
