import ArgumentParser
import CVRNet
import Foundation

/// `cvrnet classify IMAGE...`
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Classify chest radiographs (PNG or JPEG) and print one line per image.",
        discussion: """
        Each image is loaded exactly as the CVR-Net notebook's Keras pipeline does \
        (load_img(path, target_size=(224, 224)) + img_to_array: RGB, nearest-neighbour resize, \
        EXIF orientation ignored) and run through the five heads; the prediction is the mean \
        of their softmax outputs.

        OUTPUT (stdout), one line per image that could be classified, fields separated by TAB:
          FILE  LABEL  PROBABILITY  CLASS=P CLASS=P ...
        e.g.
          chest.png<TAB>NOR<TAB>0.812300<TAB>NCP=0.187700 NOR=0.812300
        LABEL is the most probable class, PROBABILITY its probability; then every class's \
        probability, space-separated, in output order. Probabilities have six decimals. With \
        --scales, five more fields follow, one per head, named by encoder and scale:
          fused_7x7 NCP=... NOR=...   (ResNet50+Xception 7x7)
          resnet_14x14 ...  resnet_28x28 ...  xception_28x28 ...  xception_14x14 ...
        With --json, one JSON object per line instead:
          {"file": ..., "label": ..., "probability": ..., "probabilities": {"NCP": ...}}
        plus "heads": {"fused_7x7": {...}, ...} with --scales; an image that fails gives \
        {"file": ..., "error": ...}. JSON numbers are the shortest decimal that reads back as \
        the same float32.

        --weights given more than once classifies with an ensemble: every field above is then \
        the mean of the models' probabilities (class by class, and head by head), and --json \
        adds "models": [{"weights": PATH, "probabilities": {...}, ["heads": {...}]}, ...], \
        each model's own output in --weights order. The models must have the same labels \
        (else one line and exit status 2).

        Images that cannot be read give one line on stderr and no result line (text mode); \
        the others are still classified. Notes about 16-bit clipping and ignored EXIF \
        orientation go to stderr, one line per image.

        --dump-input DIR writes, for each image, the exact 224x224x3 float32 tensor the \
        network receives (after --preprocessing) as DIR/<image file name>.npy (NumPy .npy \
        v1.0, '<f4', shape (224, 224, 3), HWC, RGB), to compare with your own pipeline: \
        numpy.load("DIR/chest.png.npy").

        \(ExitStatus.helpSection([.success, .imagesFailed, .weightsUnusable, .usage, .ioError]))
        """)

    @OptionGroup var weightsOptions: WeightsOptions
    @OptionGroup var imageOptions: ImageOptions

    @Flag(name: .long, help: "Also print each of the five heads' probabilities.")
    var scales = false

    @Flag(name: .long, help: "Print one JSON object per line instead of tab-separated text.")
    var json = false

    @Option(name: .customLong("dump-input"), help: ArgumentHelp(
        "Write each image's network input tensor to DIR/<file name>.npy.", valueName: "dir"))
    var dumpInput: String?

    @Option(name: .long, help: ArgumentHelp(
        "Threads each image's layers are split across (default: the number of processors).",
        discussion: "Results do not depend on it, bit for bit.", valueName: "n"))
    var threads: Int?

    @Argument(help: ArgumentHelp("PNG or JPEG files to classify.", valueName: "image"))
    var images: [String]

    func validate() throws {
        if images.isEmpty { throw ValidationError("give at least one image to classify") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, not \(threads)") }
    }

    func run() throws {
        let models = try weightsOptions.loadModels(threads: threads)
        if let dumpInput {
            do {
                try FileManager.default.createDirectory(atPath: dumpInput, withIntermediateDirectories: true)
            } catch {
                Console.error("cannot create --dump-input directory '\(dumpInput)': \(WeightsOptions.describe(error))")
                throw ExitStatus.ioError.code
            }
        }
        let formatter = ResultFormatter(style: json ? .jsonl : .text, labels: models[0].labels, scales: scales,
                                        models: models.count > 1 ? models.map(\.weights.path) : [])
        let pipeline = ImagePipeline(models: models, loader: imageOptions.makeLoader(),
                                     preprocessing: imageOptions.preprocessing.preprocessing,
                                     paths: images, threads: 1, keepInputs: dumpInput != nil)
        var failures = 0
        var dumpFailed = false
        var dumpNames = Set<String>()
        pipeline.run { index, result in
            let path = images[index]
            switch result {
            case .success(let classified):
                if let note = ImageOptions.noteLine(for: classified.notes, path: path) { Console.error(note) }
                if let dumpInput, let input = classified.input {
                    let target = Self.dumpPath(for: path, in: dumpInput, taken: &dumpNames)
                    do {
                        try NpyWriter.write(input, shape: [CVRNetModel.inputHeight, CVRNetModel.inputWidth, CVRNetModel.inputChannels], to: target)
                    } catch {
                        Console.error("cannot write '\(target)': \(WeightsOptions.describe(error))")
                        dumpFailed = true
                    }
                }
            case .failure(let failure):
                failures += 1
                Console.error(failure.message)
            }
            if let line = formatter.line(path: path, result: result.map(\.prediction), dicom: ImagePipeline.dicomRendering(result),
                                         modelPredictions: (try? result.get())?.modelPredictions ?? []) {
                Console.out(line)
            }
            return true
        }
        if dumpFailed { throw ExitStatus.ioError.code }
        if failures > 0 { throw ExitStatus.imagesFailed.code }
    }

    /// DIR/<file name>.npy; a second image with the same file name gets DIR/<file name>-2.npy.
    static func dumpPath(for imagePath: String, in directory: String, taken: inout Set<String>) -> String {
        let name = URL(fileURLWithPath: imagePath).lastPathComponent
        var candidate = name + ".npy"
        var n = 2
        while !taken.insert(candidate).inserted {
            candidate = "\(name)-\(n).npy"
            n += 1
        }
        return URL(fileURLWithPath: directory).appendingPathComponent(candidate).path
    }
}
