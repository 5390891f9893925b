import ArgumentParser
import CVRNet
import Foundation
import ImageInput

/// `cvrnet explain IMAGE... --output DIR`
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show where the model looked: Grad-CAM heatmaps of all five heads, as PNG overlays and .npy maps.",
        discussion: """
        For each image, Grad-CAM (Selvaraju et al. 2017) of the class explained (default: the \
        top class of the averaged prediction; --class LABEL for another) at each of the five \
        heads, with the score being the head's pre-softmax logit of that class, as in the \
        Keras Grad-CAM example. Maps: fused_7x7 7x7, resnet_14x14 14x14, resnet_28x28 28x28, \
        xception_28x28 28x28, xception_14x14 14x14. Combined map: each head's map ReLU'd and \
        divided by its maximum (all zero if it has no positive value), resized to 224x224 \
        bilinearly as tf.image.resize (half-pixel centres, no antialias), the five averaged.

        FILES written to DIR for an image NAME (a second image with the same file name gets \
        NAME-2, ...):
          NAME.gradcam.png                the combined map over the original image, at its
                                          original size, with a legend strip below it
          NAME.gradcam.<head>.png         one head's normalised map, the same way
          NAME.gradcam.npy                the combined map, float32 (224, 224), values 0..1
          NAME.gradcam.<head>.npy         one head's raw Grad-CAM map, float32 (H, W), signed,
                                          not normalised
        Overlays: viridis colormap (dark violet = 0, yellow = 1) alpha-blended at 0.45 over \
        the image; the map is stretched back to the image's size as the model's input was \
        stretched to 224x224, so it lines up with the image.

        OUTPUT (stdout), one line per image explained, fields separated by TAB:
          FILE  CLASS  PROBABILITY  OVERLAY
        CLASS is the class explained, PROBABILITY its averaged probability, OVERLAY the path \
        of the combined overlay. Images that cannot be read give one line on stderr; the \
        others are still explained.

        Heatmaps of the project's reference weights (untrained, random) show nothing about \
        the image: they only exercise the code.

        \(ExitStatus.helpSection([.success, .imagesFailed, .weightsUnusable, .usage, .ioError]))
        """)

    @OptionGroup var weightsOptions: WeightsOptions
    @OptionGroup var imageOptions: ImageOptions

    @Option(name: .long, help: ArgumentHelp("Directory for the overlays and maps (created if absent).", valueName: "dir"))
    var output: String

    @Option(name: .customLong("class"), help: ArgumentHelp(
        "Explain this class (a label) instead of the top class of each image.", valueName: "label"))
    var className: String?

    @Argument(help: ArgumentHelp("PNG or JPEG files to explain.", valueName: "image"))
    var images: [String]

    func validate() throws {
        if images.isEmpty { throw ValidationError("give at least one image to explain") }
    }

    func run() throws {
        let model = try weightsOptions.loadModel()
        var classIndex: Int?
        if let className {
            guard let i = model.labels.firstIndex(of: className) else {
                Console.error("--class '\(className)' is not one of the model's classes (\(model.labels.joined(separator: ", ")))")
                throw ExitStatus.usage.code
            }
            classIndex = i
        }
        do {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        } catch {
            Console.error("cannot create --output directory '\(output)': \(WeightsOptions.describe(error))")
            throw ExitStatus.ioError.code
        }
        let loader = imageOptions.makeLoader()
        let preprocessing = imageOptions.preprocessing.preprocessing
        var taken = Set<String>()
        var failures = 0
        var writeFailed = false
        for path in images {
            let original: RGBImage
            if let problem = DICOMSafetyCheck.problem(path: path, options: loader.options) {
                failures += 1
                Console.error(problem)
                continue
            }
            do {
                original = try loader.decodeRGB(path: path)
            } catch {
                failures += 1
                Console.error(ErrorMessages.image(error))
                continue
            }
            if let note = ImageOptions.noteLine(for: original.notes, path: path) { Console.error(note) }
            var pixels = NearestResize.resizeToFloats(original, width: CVRNetModel.inputWidth, height: CVRNetModel.inputHeight)
            preprocessing.apply(to: &pixels)
            let explanation: GradCAMExplanation
            do {
                explanation = try model.explain(pixels: pixels, classIndex: classIndex)
            } catch {
                failures += 1
                Console.error(ErrorMessages.image(error, path: path))
                continue
            }
            let stem = Self.uniqueStem(for: path, taken: &taken)
            let base = URL(fileURLWithPath: output).appendingPathComponent(stem + ".gradcam").path
            do {
                try HeatmapFiles.write(explanation, over: original, base: base, untrainedWeights: model.weights.isReferenceWeights)
            } catch {
                Console.error("cannot write the heatmaps of '\(path)' to '\(output)': \(HeatmapFiles.describe(error))")
                writeFailed = true
                continue
            }
            let probability = explanation.prediction.probabilities[explanation.classIndex]
            Console.out("\(path)\t\(explanation.label)\t\(String(format: "%.6f", probability))\t\(base).png\n")
        }
        if writeFailed { throw ExitStatus.ioError.code }
        if failures > 0 { throw ExitStatus.imagesFailed.code }
    }

    /// The image's file name; a second image with the same name gets NAME-2, and so on.
    static func uniqueStem(for imagePath: String, taken: inout Set<String>) -> String {
        let name = URL(fileURLWithPath: imagePath).lastPathComponent
        var candidate = name
        var n = 2
        while !taken.insert(candidate).inserted {
            candidate = "\(name)-\(n)"
            n += 1
        }
        return candidate
    }
}
