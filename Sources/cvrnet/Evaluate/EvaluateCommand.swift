import ArgumentParser
import CVRNet
import Evaluation
import Foundation

/// `cvrnet evaluate DIR`
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a labelled test folder (DIR/<class>/<images>) as the CVR-Net notebook does, per head and per fold.",
        discussion: """
        DIR holds one sub-folder per class, as Keras flow_from_directory reads it: the classes \
        are the sub-folder names in sorted order and must be the model's labels (--labels or \
        the weights' labels file). Images are scored as 'score' scores them (--threads, \
        progress on stderr); a file that cannot be read is named on stderr and left out of \
        the metrics (exit status 1 after the report is written).

        Metrics, each as scikit-learn 1.9.1 computes it: classification_report (digits=3), \
        confusion matrix (counts and row-normalised), per-class ROC curve and AUC, the \
        notebook's macro-average ROC (each class's TPR interpolated onto the union of all \
        FPRs, then averaged), micro ROC, per-class and micro average precision with \
        precision-recall curves; sensitivity and specificity per class (one-vs-rest, at the \
        argmax decision) with Wilson score 95% intervals; 95% intervals of the AUCs from a \
        percentile bootstrap (--bootstrap resamples, SplitMix64 seeded with --seed).

        The same metrics for each of the five heads alone and for the averaged output.

        --weights given several times (e.g. the five folds): the metrics of each model, their \
        mean ± standard deviation (population, ddof=0), and those of the ensemble that \
        averages the models' probabilities (the headline numbers then are the ensemble's).

        Outputs: the text report on stdout; --json FILE with every number and curve (and every \
        image's probabilities); --report FILE.html, one self-contained page (tables, inline SVG \
        charts, the misclassified images as thumbnails and, with one model, beside each its \
        Grad-CAM overlay for the predicted class); --predictions FILE.csv, one row per image. \
        Each file is written under a temporary name and renamed when complete; an existing one \
        is replaced only with --overwrite.

        \(ExitStatus.helpSection())
        """)

    @Argument(help: ArgumentHelp("Test folder with one sub-folder per class.", valueName: "dir"))
    var directory: String

    @Option(name: .long, help: ArgumentHelp("Weights file; repeat for several models (folds). Default as in the other commands.", valueName: "path"))
    var weights: [String] = []

    @Option(name: .long, help: ArgumentHelp("Class names in output order, comma-separated (for every --weights).", valueName: "names"))
    var labels: String?

    @Option(name: .long, help: ArgumentHelp("Number format of the convolutions: fp32 (default) or bf16 (as in classify).", valueName: "fp32|bf16"))
    var precision: CVRNetModel.Precision = .float32

    @OptionGroup var imageOptions: ImageOptions

    @Option(name: .long, help: ArgumentHelp("Images classified at once (default 1).", valueName: "n"))
    var threads: Int = 1

    @Option(name: .long, help: ArgumentHelp("Write every number and curve as JSON to this file.", valueName: "file"))
    var json: String?

    @Option(name: .long, help: ArgumentHelp("Write the report as one self-contained HTML file.", valueName: "file.html"))
    var report: String?

    @Option(name: .long, help: ArgumentHelp("Write one CSV row per image: path, true and predicted class, probabilities.", valueName: "file.csv"))
    var predictions: String?

    @Flag(name: .long, help: "Replace an existing --json, --report or --predictions file.")
    var overwrite = false

    @Option(name: .long, help: ArgumentHelp("Bootstrap resamples for the AUC intervals (0: none).", valueName: "n"))
    var bootstrap: Int = BootstrapAUC.defaultResamples

    @Option(name: .long, help: ArgumentHelp("Seed of the bootstrap's SplitMix64 generator.", valueName: "n"))
    var seed: UInt64 = BootstrapAUC.defaultSeed

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1, not \(threads)") }
        if bootstrap < 0 { throw ValidationError("--bootstrap must be 0 or more, not \(bootstrap)") }
    }

    func run() throws {
        for target in [json, report, predictions].compactMap({ $0 }) where !overwrite && FileManager.default.fileExists(atPath: target) {
            Console.error("'\(target)' already exists; use --overwrite to replace it")
            throw ExitStatus.usage.code
        }
        let folder: LabelledFolder
        do {
            folder = try LabelledFolder.read(directory)
        } catch {
            Console.error(error.message)
            throw ExitStatus.noInput.code
        }
        for problem in folder.problems { Console.error(problem) }
        if folder.images.isEmpty {
            Console.error("'\(directory)' has class folders (\(folder.classes.joined(separator: ", "))) but no PNG or JPEG images in them")
            throw ExitStatus.noInput.code
        }

        var scores: [ModelScores] = []
        // With one model and a report, the model is kept to explain the misclassified images.
        var explainer: (model: CVRNetModel, classOrder: [Int])?
        let paths: [String?] = weights.isEmpty ? [nil] : weights
        for (m, path) in paths.enumerated() {
            var arguments: [String] = []
            if let path { arguments += ["--weights", path] }
            if let labels { arguments += ["--labels", labels] }
            arguments += ["--precision", precision.rawValue]
            let options = try WeightsOptions.parse(arguments)
            let model = try options.loadModel()
            // Folder classes and model labels must be the same names; outputs are matched by name.
            guard Set(model.labels) == Set(folder.classes), model.labels.count == folder.classes.count else {
                Console.error("the class folders of '\(directory)' (\(folder.classes.joined(separator: ", "))) are not the labels of '\(model.weights.path)' (\(model.labels.joined(separator: ", "))); name the folders after the labels or give --labels")
                throw ExitStatus.weightsUnusable.code
            }
            let order = folder.classes.map { model.labels.firstIndex(of: $0)! }
            if paths.count > 1 { Console.error("model \(m + 1) of \(paths.count): \(model.weights.path)") }
            if paths.count == 1 && report != nil { explainer = (model, order) }
            scores.append(EvaluationScoring.score(model: model, images: folder.images, classOrder: order,
                                                  imageOptions: imageOptions, threads: threads, reportFailures: m == 0))
        }

        let results = EvaluationResults(folder: folder, scores: scores, bootstrapResamples: bootstrap, seed: seed)
        guard !results.paths.isEmpty else {
            Console.error("no image of '\(directory)' could be classified; nothing to evaluate")
            throw ExitStatus.imagesFailed.code
        }
        do {
            if let json { try EvaluationOutputs.writeFile(try EvaluationOutputs.json(results), to: json) }
            if let predictions { try EvaluationOutputs.writeFile(Data(EvaluationOutputs.predictionsCSV(results).utf8), to: predictions) }
            if let report {
                let overlays = explainer.map {
                    MisclassifiedOverlays.render(model: $0.model, results: results, directory: directory,
                                                 classOrder: $0.classOrder, imageOptions: imageOptions)
                }
                let stamp = ISO8601DateFormatter().string(from: Date())
                let html = EvaluationHTMLReport.render(results, directory: directory, generated: stamp, overlays: overlays)
                try EvaluationOutputs.writeFile(Data(html.utf8), to: report)
            }
        } catch let failure as EvaluationOutputs.Failure {
            Console.error(failure.message)
            throw ExitStatus.ioError.code
        } catch {
            Console.error("cannot encode the metrics as JSON: \(error)")
            throw ExitStatus.ioError.code
        }
        Console.out(EvaluationTextReport.render(results))
        if !results.failed.isEmpty || !folder.problems.isEmpty { throw ExitStatus.imagesFailed.code }
    }
}
