import ArgumentParser
import CVRNet
import Foundation

/// `cvrnet score DIR`
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Classify every PNG/JPEG under a directory and write CSV or JSON Lines.",
        discussion: """
        Finds the files ending in .png, .jpg or .jpeg (any case) under DIR, recursively, \
        following symbolic links but entering each directory once (symlink loops are safe), \
        skipping names that start with "."; scores them in order of their path relative to DIR \
        (byte order) and writes one row per file to --output or stdout.

        CSV (default): a header, then one row per file:
          path,label,p_<label>...,[<head>_p_<label>...],error
        path is relative to DIR; label is the most probable class; p_<label> the mean of the \
        five heads' probabilities; with --scales, <head>_p_<label> for each head \
        (fused_7x7, resnet_14x14, resnet_28x28, xception_28x28, xception_14x14). Numbers are \
        the shortest decimal that reads back as the same float32. A file that cannot be read \
        or classified gets a row with only path and error (and one line on stderr); the batch \
        goes on. Fields are quoted as RFC 4180 says when needed.
        JSON Lines (--format jsonl): one object per file, {"file", "label", "probability", \
        "probabilities": {label: p}, ["heads": {head: {label: p}}]} or {"file", "error"}.

        --weights given more than once scores with an ensemble: label, p_<label> and the head \
        columns are then the mean of the models' probabilities (class by class, head by head); \
        CSV adds m<k>_p_<label> for model k (1, 2, ... in --weights order) before error, and \
        JSON Lines adds "models": [{"weights": PATH, "probabilities": {...}, ["heads": \
        {...}]}, ...]. The models must have the same labels (else one line and exit status 2). \
        --resume needs as many --weights (CSV columns) or the same paths (JSON Lines); \
        --heatmaps takes one model.

        Each row is written with one write as soon as it is ready, so an interrupted run \
        (Ctrl-C, kill, node failure) loses at most the images in flight. --resume then reads \
        the output file, cuts off an incomplete last row, skips the files it already has and \
        appends the rest: the result has the same rows as an uninterrupted run. Without \
        --resume an existing output file is refused unless --overwrite is given.

        While one image runs through the network the next ones are decoded on another thread. \
        --threads N classifies up to N images at once, side by side, one per core (default 1: \
        one image at a time, whose layers already use every core). Results are identical \
        either way; N = the number of cores can be a little faster.

        --shard K/N scores only the files whose FNV-1a-64 hash of the relative path (UTF-8) \
        modulo N is K-1: N jobs with K = 1...N together score every file exactly once, and a \
        file's shard never changes when files are added. Give each job its own --output; merge \
        the CSV parts (header once, then every part's rows) with
          awk 'FNR>1 || NR==1' part-*.csv > all.csv

        --heatmaps DIR also explains each image (Grad-CAM of its top class at the five \
        heads, as 'cvrnet explain' does) and writes DIR/<relative path>.gradcam.png, \
        .gradcam.npy and the per-head .gradcam.<head>.png/.npy files (see 'cvrnet help \
        explain'). The rows are the same. Each image then costs one forward pass plus the \
        Grad-CAM work (about 30 ms measured) and runs alone (--threads is ignored); without \
        --heatmaps nothing changes.

        Progress goes to stderr: redrawn in place on a terminal (done/total, images/s, ETA), \
        a plain line every 10 seconds or 100 images otherwise, and a summary at the end.

        \(ExitStatus.helpSection())
        """)

    @OptionGroup var weightsOptions: WeightsOptions
    @OptionGroup var imageOptions: ImageOptions

    @Argument(help: ArgumentHelp("Directory to score, searched recursively.", valueName: "dir"))
    var directory: String

    @Option(name: [.short, .long], help: ArgumentHelp("Write the rows to this file instead of stdout.", valueName: "file"))
    var output: String?

    @Option(name: .long, help: ArgumentHelp("Output format: csv | jsonl.", valueName: "format"))
    var format: OutputFormat = .csv

    @Flag(name: .long, help: "Add each of the five heads' probabilities.")
    var scales = false

    @Flag(name: .long, help: "Continue an interrupted run: keep the rows already in --output, score the rest.")
    var resume = false

    @Flag(name: .long, help: "Replace an existing --output file.")
    var overwrite = false

    @Option(name: .long, help: ArgumentHelp("Images classified at once (default 1).", valueName: "n"))
    var threads: Int = 1

    @Option(name: .long, help: ArgumentHelp("Score only shard K of N (1 <= K <= N), e.g. 3/8.", valueName: "k/n"))
    var shard: Shard?

    @Option(name: .long, help: ArgumentHelp("Also write Grad-CAM heatmaps of every image under this directory.", valueName: "dir"))
    var heatmaps: String?

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1, not \(threads)") }
        if resume && overwrite { throw ValidationError("--resume and --overwrite exclude each other") }
        if resume && output == nil { throw ValidationError("--resume needs --output FILE (the file to continue)") }
    }

    func run() throws {
        // Refuse to clobber before spending time on anything else.
        if let output, !resume, !overwrite, FileManager.default.fileExists(atPath: output) {
            Console.error("output file '\(output)' already exists; use --resume to continue it or --overwrite to replace it")
            throw ExitStatus.usage.code
        }

        let found: ImageDiscovery.Result
        do {
            found = try ImageDiscovery.find(in: directory)
        } catch {
            Console.error(error.description)
            throw ExitStatus.noInput.code
        }
        for problem in found.problems { Console.error(problem) }
        var images = found.images
        if let shard { images = images.filter { shard.contains(relativePath: $0.relativePath) } }

        if heatmaps != nil && weightsOptions.weightsPaths.count > 1 {
            Console.error("--heatmaps explains one model: give --weights once")
            throw ExitStatus.usage.code
        }
        let models = try weightsOptions.loadModels()
        let model = models[0]
        let formatter = ResultFormatter(style: format == .csv ? .csv : .jsonl, labels: model.labels, scales: scales,
                                        models: models.count > 1 ? models.map(\.weights.path) : [])

        var state = ResumeState()
        if resume, let output {
            do {
                state = try ResumeState.load(path: output, formatter: formatter)
            } catch {
                Console.error(error.message)
                throw error.status.code
            }
            if state.droppedBytes > 0 {
                Console.error("resume: removed an incomplete last row (\(state.droppedBytes) bytes) from '\(output)'")
            }
        }
        let previouslyFailed = images.filter { state.failedPaths.contains($0.relativePath) }.count
        let todo = images.filter { !state.donePaths.contains($0.relativePath) }
        if resume {
            Console.error("resume: \(images.count - todo.count) of \(images.count) files already in '\(output!)', \(todo.count) to score")
        }

        let sink: OutputSink
        do {
            sink = try output.map { path throws(OutputFileError) in try OutputSink(path: path, append: resume) } ?? OutputSink()
            if !state.hasHeader, let header = formatter.header { try sink.write(header) }
        } catch {
            let message = ErrorMessages.output(error)
            Console.error(message.text)
            throw message.status.code
        }

        let progress = ProgressReporter(total: todo.count)
        let pipeline = ImagePipeline(models: models, loader: imageOptions.makeLoader(),
                                     preprocessing: imageOptions.preprocessing.preprocessing,
                                     paths: todo.map(\.fullPath), threads: threads, explain: heatmaps != nil)
        var writeError: OutputFileError?
        var heatmapFailed = false
        let originals = imageOptions.makeLoader()
        pipeline.run { index, result in
            let image = todo[index]
            switch result {
            case .success(let classified):
                if let note = ImageOptions.noteLine(for: classified.notes, path: image.fullPath) { progress.log(note) }
                if let heatmaps, let explanation = classified.explanation {
                    // The overlay needs the image at its own size: decoded again, here, while
                    // the next images run through the network.
                    let base = URL(fileURLWithPath: heatmaps).appendingPathComponent(image.relativePath + ".gradcam")
                    do {
                        try FileManager.default.createDirectory(at: base.deletingLastPathComponent(), withIntermediateDirectories: true)
                        try HeatmapFiles.write(explanation, over: originals.decodeRGB(path: image.fullPath), base: base.path,
                                               untrainedWeights: model.weights.isReferenceWeights)
                    } catch {
                        progress.log("cannot write the heatmaps of '\(image.fullPath)' to '\(heatmaps)': \(HeatmapFiles.describe(error))")
                        heatmapFailed = true
                    }
                }
            case .failure(let failure):
                progress.log(failure.message)
            }
            let line = formatter.line(path: image.relativePath, result: result.map(\.prediction), dicom: ImagePipeline.dicomRendering(result),
                                      modelPredictions: (try? result.get())?.modelPredictions ?? [])!
            do throws(OutputFileError) {
                try sink.write(line)
            } catch {
                writeError = error
                return false
            }
            progress.advance(failed: (try? result.get()) == nil)
            return true
        }
        if let writeError {
            let message = ErrorMessages.output(writeError)
            progress.log(message.text)
            throw message.status.code
        }
        progress.finish()
        if heatmapFailed { throw ExitStatus.ioError.code }
        if progress.failed + previouslyFailed > 0 || !found.problems.isEmpty {
            throw ExitStatus.imagesFailed.code
        }
    }
}
