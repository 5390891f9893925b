import ArgumentParser
import CVRNet
import Foundation

/// `--weights`, `--labels` and `--precision`, shared by every command, and how they are resolved.
struct WeightsOptions: ParsableArguments {
    static let defaultRelativePath = ReferenceWeights.defaultRelativePath
    static let environmentVariable = "CVRNET_WEIGHTS"

    @Option(name: .customLong("weights"), help: ArgumentHelp(
        "Keras 2 HDF5 weights file of a CVR-Net (save_weights .h5/.hdf5 or a full model.save .h5).",
        discussion: """
        Default: $\(environmentVariable) if set, else \(defaultRelativePath) looked up in the \
        current directory, then next to the executable and in each directory above it. \
        classify and score take --weights several times: an ensemble (the mean of the models' \
        probabilities); the models must have the same labels.
        """,
        valueName: "path"))
    var weightsPaths: [String] = []

    /// The one `--weights` given (the first, where a command takes several).
    var weights: String? { weightsPaths.first }

    @Option(name: .long, help: ArgumentHelp(
        "Class names in output order, comma-separated (e.g. NCP,NOR).",
        discussion: """
        Default: the sidecar file <weights path>.labels.json if it exists (a JSON array of \
        strings, or an object {"labels": [...]}), else NCP,NOR / CPN,NCP,NOR / CPB,CPV,NCP,NOR \
        for 2 / 3 / 4 classes (Keras numbers classes by sorted folder name). The count must \
        match the weights.
        """,
        valueName: "names"))
    var labels: String?

    @Option(name: .long, help: ArgumentHelp(
        "Number format of the convolutions: fp32 (default) or bf16.",
        discussion: """
        fp32 computes as Keras does (probabilities within about 1e-6 of Keras's). bf16 stores the \
        convolution weights as bfloat16 (half the memory) and rounds each convolution's input to \
        bfloat16, summing in float32, on AMX-BF16 or AVX512_BF16 (Intel Sapphire Rapids or later, \
        AMD Zen 4 or later; `cvrnet --version` says whether this CPU has them); its probabilities \
        differ from Keras's by up to 2e-2 (see the README's "bf16"). On other CPUs bf16 stops with \
        an error.
        """,
        valueName: "fp32|bf16"))
    var precision: CVRNetModel.Precision = .float32

    /// Where the weights path came from, for messages.
    enum Source: Equatable {
        case option, environment, bundledDefault
        var note: String {
            switch self {
            case .option: return ""
            case .environment: return " (path from $\(WeightsOptions.environmentVariable))"
            case .bundledDefault: return " (the default weights)"
            }
        }
    }

    /// The weights path to use and where it came from; nil when nothing is given and the
    /// default file is nowhere to be found.
    func resolvedWeightsPath(positional: String? = nil) -> (path: String, source: Source)? {
        if let positional { return (positional, .option) }
        if let weights { return (weights, .option) }
        if let env = ProcessInfo.processInfo.environment[Self.environmentVariable], !env.isEmpty {
            return (env, .environment)
        }
        if let found = Self.findDefaultWeights() { return (found, .bundledDefault) }
        return nil
    }

    /// `weights/reference-2class-keras231-weights.hdf5` relative to the current directory,
    /// then relative to the executable's directory and each directory above it (so
    /// `.build/release/cvrnet` run from anywhere finds the repository's weights).
    static func findDefaultWeights() -> String? {
        let fm = FileManager.default
        if fm.fileExists(atPath: defaultRelativePath) { return defaultRelativePath }
        guard let executable = executablePath() else { return nil }
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent().standardizedFileURL
        while true {
            let candidate = directory.appendingPathComponent(defaultRelativePath).path
            if fm.fileExists(atPath: candidate) { return candidate }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { return nil }
            directory = parent
        }
    }

    /// The running executable, symlinks resolved.
    static func executablePath() -> String? {
        #if os(Linux)
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return resolved
        }
        #endif
        if let path = Bundle.main.executablePath { return URL(fileURLWithPath: path).resolvingSymlinksInPath().path }
        return nil
    }

    /// Why labels cannot be used: one sentence naming where they came from.
    struct LabelsProblem: Error {
        let message: String
    }

    /// Class labels from `--labels` or the sidecar file `<weights>.labels.json`, with where they
    /// came from; nil for the defaults.
    func resolvedLabels(weightsPath: String) throws(LabelsProblem) -> (labels: [String], source: String)? {
        if let labels {
            let names = labels.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            try Self.check(names, source: "--labels")
            return (names, "--labels")
        }
        let sidecar = weightsPath + ".labels.json"
        guard FileManager.default.fileExists(atPath: sidecar) else { return nil }
        let source = "labels file '\(sidecar)'"
        let json: Any
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: sidecar))
            json = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw LabelsProblem(message: "\(source) cannot be read as JSON: \(Self.describe(error))")
        }
        let names: [String]
        if let array = json as? [String] {
            names = array
        } else if let object = json as? [String: Any], let array = object["labels"] as? [String] {
            names = array
        } else {
            throw LabelsProblem(message: "\(source) must hold a JSON array of strings or an object {\"labels\": [...]}")
        }
        try Self.check(names, source: source)
        return (names, source)
    }

    /// Labels must be non-empty and distinct: they become CSV columns and JSON keys.
    private static func check(_ names: [String], source: String) throws(LabelsProblem) {
        if names.contains(where: \.isEmpty) {
            throw LabelsProblem(message: "\(source) has an empty class name")
        }
        var seen: Set<String> = []
        for name in names where !seen.insert(name).inserted {
            throw LabelsProblem(message: "\(source) names class '\(name)' twice")
        }
    }

    /// Loads the model, printing one line and throwing `.weightsUnusable` when that fails, and
    /// one warning line when the file holds the project's untrained reference weights.
    func loadModel(positional: String? = nil) throws -> CVRNetModel {
        try loadModel(positional: positional, threads: nil, warn: true)
    }

    /// The models of every `--weights` (an ensemble when more than one), each loaded as
    /// `loadModel` loads one. They must have the same labels in the same order (their outputs
    /// are averaged class by class): otherwise one line naming both files and
    /// `.weightsUnusable`, before any warning is printed. `threads`: each model's
    /// `Options.threads` (default: every processor).
    func loadModels(threads: Int? = nil) throws -> [CVRNetModel] {
        guard weightsPaths.count > 1 else { return [try loadModel(positional: nil, threads: threads, warn: true)] }
        var models: [CVRNetModel] = []
        for path in weightsPaths {
            var one = self
            one.weightsPaths = [path]
            let model = try one.loadModel(positional: nil, threads: threads, warn: false)
            if let first = models.first, model.labels != first.labels {
                Console.error("the models of an ensemble must have the same classes: '\(model.weights.path)' has \(model.labels.count) (\(model.labels.joined(separator: ", "))) but '\(first.weights.path)' has \(first.labels.count) (\(first.labels.joined(separator: ", ")))")
                throw ExitStatus.weightsUnusable.code
            }
            models.append(model)
        }
        for model in models { Self.warnIfReference(model) }
        return models
    }

    private func loadModel(positional: String?, threads: Int?, warn: Bool) throws -> CVRNetModel {
        if weightsPaths.count > 1 {
            Console.error("this command takes one --weights (several, an ensemble, only in classify, score and evaluate)")
            throw ExitStatus.usage.code
        }
        guard let (path, source) = resolvedWeightsPath(positional: positional) else {
            Console.error("no weights file: give --weights PATH or set $\(Self.environmentVariable) (the default \(Self.defaultRelativePath) is not in the current directory nor above the executable; tools/prepare.sh makes it)")
            throw ExitStatus.weightsUnusable.code
        }
        let labels: (labels: [String], source: String)?
        do {
            labels = try resolvedLabels(weightsPath: path)
        } catch {
            Console.error(error.message)
            throw ExitStatus.weightsUnusable.code
        }
        if let problem = WeightsSafetyCheck.problem(path: path) {
            Console.error(problem + source.note)
            throw ExitStatus.weightsUnusable.code
        }
        let model: CVRNetModel
        do {
            // A command-line run owns its process, so it returns loading's freed memory.
            var options = CVRNetModel.Options(returnFreedMemory: true, precision: precision)
            if let threads { options.threads = threads }
            model = try CVRNetModel(weightsPath: path, labels: labels?.labels, options: options)
        } catch {
            let message = ErrorMessages.model(error, path: path, labelsSource: labels?.source, weightsSource: source)
            Console.error(message.text)
            throw message.status.code
        }
        if warn { Self.warnIfReference(model) }
        return model
    }

    static func warnIfReference(_ model: CVRNetModel) {
        guard model.weights.isReferenceWeights else { return }
        Console.error("warning: '\(model.weights.path)' holds untrained reference weights (random, for testing cvrnet): the predictions carry no clinical meaning")
    }

    static func describe(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSDebugDescriptionErrorKey] as? String { return underlying }
        return ns.localizedDescription
    }
}

extension CVRNetModel.Precision: ExpressibleByArgument {}
