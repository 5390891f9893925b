import ArgumentParser
import CVRNet
import ImageInput

/// `--preprocessing`: what is done to the 0...255 RGB values before the network.
enum PreprocessingChoice: String, CaseIterable, ExpressibleByArgument {
    case none, scale01, caffe, tf

    var preprocessing: InputPreprocessing {
        switch self {
        case .none: return .none
        case .scale01: return .scale01
        case .caffe: return .caffe
        case .tf: return .tf
        }
    }
}

/// `--sixteen-bit`: how 16-bit PNG samples become 0...255.
enum SixteenBitChoice: String, CaseIterable, ExpressibleByArgument {
    case clip, rescale

    var policy: SixteenBitPolicy {
        switch self {
        case .clip: return .clip
        case .rescale: return .rescale
        }
    }
}

/// Options of image decoding and input preprocessing shared by `classify` and `score`.
struct ImageOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Input preprocessing: none | scale01 | caffe | tf.",
        discussion: """
        none: raw 0...255 RGB, what the CVR-Net notebook trains on (default). scale01: x/255. \
        caffe: BGR minus the ImageNet means (keras resnet50.preprocess_input). tf: x/127.5 - 1 \
        (keras xception.preprocess_input). Use what the weights were trained with.
        """,
        valueName: "mode"))
    var preprocessing: PreprocessingChoice = .none

    @Option(name: .customLong("sixteen-bit"), help: ArgumentHelp(
        "16-bit PNG samples: clip | rescale.",
        discussion: """
        clip: values above 255 become 255, as Keras load_img (PIL) does (default). rescale: \
        v * 255 / 65535, which keeps the picture of a full-range 16-bit radiograph but is not \
        what Keras trained on.
        """,
        valueName: "policy"))
    var sixteenBit: SixteenBitChoice = .clip

    @Option(name: .long, help: ArgumentHelp(
        "Refuse images with more than this many pixels (width x height), to bound memory.",
        discussion: "Default: 100000000. The limit is checked from the file header, before decoding.",
        valueName: "n"))
    var maxPixels: Int?

    @Option(name: .customLong("dicom-window"), help: ArgumentHelp(
        "DICOM VOI window: file | minmax | lung | mediastinum | C,W.",
        discussion: """
        file: the file's VOI LUT, else its first Window Center/Width (with its VOI LUT \
        Function), else min-max (default). minmax: the frame's smallest to largest value. \
        lung = -600,1500 and mediastinum = 40,400 (CT, centre,width in HU). C,W: a linear \
        window of your own.
        """,
        valueName: "window"))
    var dicomWindow: String = "file"

    @Option(name: .customLong("dicom-frame"), help: ArgumentHelp(
        "Frame of a multi-frame DICOM file to classify (1-based).", valueName: "n"))
    var dicomFrame: Int = 1

    func validate() throws {
        if DICOMWindow(argument: dicomWindow) == nil {
            throw ValidationError("--dicom-window must be file, minmax, lung, mediastinum or C,W with W >= 1, not '\(dicomWindow)'")
        }
        if dicomFrame < 1 { throw ValidationError("--dicom-frame must be at least 1, not \(dicomFrame)") }
        if let maxPixels, maxPixels < 1 {
            throw ValidationError("--max-pixels must be at least 1, not \(maxPixels)")
        }
    }

    /// The loader these options describe (224x224, as the model expects).
    func makeLoader() -> KerasImageLoader {
        var options = ImageLoadOptions(targetWidth: CVRNetModel.inputWidth, targetHeight: CVRNetModel.inputHeight,
                                       sixteenBit: sixteenBit.policy)
        if let maxPixels { options.maxPixels = maxPixels }
        options.dicomWindow = DICOMWindow(argument: dicomWindow) ?? .file
        options.dicomFrame = dicomFrame
        return KerasImageLoader(options: options)
    }

    /// One stderr line about what loading did to the image behind the user's back, or nil
    /// when there is nothing to say: 16-bit clipping, an ignored EXIF orientation, and
    /// damage the decoder worked around (as PIL does). Routine conversions (alpha dropped,
    /// palette, high byte of 16-bit RGB) are not mentioned.
    static func noteLine(for notes: [ImageNote], path: String) -> String? {
        var parts: [String] = []
        for note in notes {
            switch note {
            case .sixteenBitClipped:
                parts.append(note.description + " (--sixteen-bit rescale scales them instead)")
            case .exifOrientationIgnored, .checksumErrorsIgnored, .imageDataEndedEarly, .trailingErrorIgnored, .decoderWarnings:
                parts.append(note.description)
            case .dicomRendered(let rendering):
                // Routine for single-frame files (recorded in --json and score); worth a line
                // when other frames were left out.
                if rendering.frameCount > 1 {
                    parts.append("DICOM file has \(rendering.frameCount) frames; frame \(rendering.frame) was classified (--dicom-frame N picks another)")
                }
            case .sixteenBitHighByteKept, .sixteenBitRescaled, .alphaDropped, .transparencyIgnored, .cmykConverted:
                continue
            }
        }
        return parts.isEmpty ? nil : "note: \(path): " + parts.joined(separator: "; ")
    }
}
