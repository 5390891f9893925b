#if canImport(Glibc)
import Glibc
#endif
import CVRNetKernels
import Foundation
import ImageInput
import KerasFormat

/// A CVR-Net loaded from a Keras HDF5 weights file, ready to classify chest radiographs.
///
/// The model is immutable after loading and safe to share between threads: each prediction
/// borrows a workspace from a small pool (or allocates one when all are busy), so concurrent
/// calls never share activation memory. How many threads a prediction uses is the model's own
/// `Options.threads`, handed to every kernel in a `ComputeContext`; no process-wide setting is
/// read or changed, except that loading makes OpenBLAS single-threaded (cvrnet's threads drive
/// it, and OpenBLAS 0.3.21 has no per-call thread count).
///
/// ```swift
/// let model = try CVRNetModel(weightsPath: "weights/reference-2class-keras231-weights.hdf5")
/// let prediction = try model.predict(imageAt: "radiograph.png")
/// print(prediction.topLabel, prediction.topProbability)
/// ```
public final class CVRNetModel: Sendable {
    /// The input the model expects: 224x224 RGB, HWC, values as Keras `img_to_array` gives them.
    public static let inputWidth = 224, inputHeight = 224, inputChannels = 3

    /// Class names, in output order.
    public let labels: [String]
    /// What was loaded.
    public let weights: WeightsDescription

    let graph: CVRNetGraph
    /// What this model's predictions run with.
    public let options: Options
    /// The kernel the convolutions run on with `Precision.bfloat16`; nil with float32.
    public let bfloat16Kernel: BFloat16Kernel?
    /// `options.threads` on the kernel workers, passed to every kernel.
    let context: ComputeContext
    let pool: WorkspacePool
    /// For one image: run the two encoders on separate cores rather than splitting each layer.
    let encodersInParallel = true

    /// Loads the weights at `weightsPath`.
    ///
    /// - Parameter labels: class names in output order; defaults to `ClassLabels.defaults`.
    /// - Parameter options: threads and memory behaviour (see `Options`).
    /// - Throws: `CVRNetError` naming the file and the problem.
    public init(weightsPath: String, labels: [String]? = nil, options: Options = Options()) throws(CVRNetError) {
        self.options = options
        switch options.precision {
        case .float32:
            bfloat16Kernel = nil
        case .bfloat16:
            guard let kernel = options.bfloat16Kernel ?? BFloat16Kernel.available else {
                let selection = KernelSelection.current
                throw .precisionUnavailable(.bfloat16, cpu: "\(KernelSelection.cpuModelName ?? "unknown"), features: "
                    + (selection.cpuFeatures.isEmpty ? "none of interest" : selection.cpuFeatures.joined(separator: " ")))
            }
            bfloat16Kernel = kernel
        }
        context = ComputeContext(threads: options.threads)
        MatrixMultiply.configureOpenBLAS()
        let file: KerasWeightsFile
        do { file = try KerasWeightsFile(path: weightsPath, keras3LayerTable: Self.keras3LayerTable) } catch { throw .weightsFile(error) }
        let (graph, scheme) = try CVRNetLoader.build(from: file, bfloat16: bfloat16Kernel)
        self.graph = graph
        if let labels, labels.count != graph.classes {
            throw .labelCount(given: labels.count, expected: graph.classes, source: "the labels given")
        }
        self.labels = labels ?? ClassLabels.defaults(count: graph.classes)
        let note = file.rootAttributes[Self.referenceAttribute]
        weights = WeightsDescription(path: weightsPath, layout: file.layout, namingScheme: scheme,
                                     kerasVersion: file.kerasVersion, backend: file.backend, classCount: graph.classes,
                                     isReferenceWeights: note != nil, referenceNote: note)
        pool = WorkspacePool(make: graph.makeWorkspace)
        if options.returnFreedMemory { Self.returnFreedMemory() }
    }

    /// Loading leaves freed temporaries (weight copies made while packing) in the heap; glibc's
    /// `malloc_trim` hands them back, so they do not count against the process for its lifetime
    /// (measured: 7 MB). Process-wide, hence `Options.returnFreedMemory`. Looked up at run time:
    /// Swift's Glibc module does not declare it.
    private static func returnFreedMemory() {
        #if canImport(Glibc)
        typealias MallocTrim = @convention(c) (Int) -> Int32
        if let symbol = dlsym(nil, "malloc_trim") {  // nil: RTLD_DEFAULT on glibc
            _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        }
        #endif
    }

    /// CVR-Net's layers in Keras 3 `model.layers` order with the `layers/...` group each is
    /// saved under: how a Keras 3.0-3.5 `.weights.h5`, which keeps no layer names, is mapped
    /// (generated from Keras 3 by tools/make_keras3_reference.py, checked by the tests).
    public static var keras3LayerTable: [(path: String, name: String)] { CVRNetLayout.keras3LayerTable }

    /// The root attribute that marks this project's untrained reference weights
    /// (`tools/make_reference_weights.py` writes it).
    static let referenceAttribute = "cvrnet_reference_weights"

    /// Number of classes.
    public var classCount: Int { graph.classes }

    /// Classifies one input tensor: 224 x 224 x 3 floats, HWC, RGB, already preprocessed
    /// (for the CVR-Net notebook that means raw 0...255 values).
    public func predict(pixels: [Float]) throws(CVRNetError) -> Prediction {
        let expected = Self.inputWidth * Self.inputHeight * Self.inputChannels
        guard pixels.count == expected else { throw .inputSize(found: pixels.count, expected: expected) }
        return pixels.withUnsafeBufferPointer { run($0.baseAddress!, observer: nil, encodersInParallel: encodersInParallel) }
    }

    /// Classifies a decoded image.
    public func predict(_ image: ModelInputImage, preprocessing: InputPreprocessing = .none) throws(CVRNetError) -> Prediction {
        var pixels = image.pixels
        preprocessing.apply(to: &pixels)
        return try predict(pixels: pixels)
    }

    /// Loads the image at `path` exactly as Keras `load_img(path, target_size=(224, 224))` +
    /// `img_to_array` would, and classifies it.
    ///
    /// A DICOM file is decoded in this process by GDCM, which can abort or crash on a crafted
    /// file; there is no guard here (the `cvrnet` tool decodes DICOM in a child process first,
    /// see ``KerasImageLoader``). Read untrusted DICOM files in a separate process.
    public func predict(imageAt path: String, loader: KerasImageLoader = KerasImageLoader(),
                        preprocessing: InputPreprocessing = .none) throws(CVRNetError) -> Prediction {
        let image: ModelInputImage
        do { image = try loader.load(path: path) } catch { throw .image(error) }
        return try predict(image, preprocessing: preprocessing)
    }

    /// Classifies several input tensors (each as for `predict(pixels:)`), in order.
    ///
    /// Images run concurrently, one per thread of `options.threads`, each with single-threaded
    /// kernels: for a batch this keeps the cores busier than splitting every layer of one image
    /// across them.
    public func predict(batch: [[Float]]) throws(CVRNetError) -> [Prediction] {
        let expected = Self.inputWidth * Self.inputHeight * Self.inputChannels
        for pixels in batch where pixels.count != expected {
            throw .inputSize(found: pixels.count, expected: expected)
        }
        if batch.count == 1 { return [try predict(pixels: batch[0])] }
        let results = PredictionSlots(count: batch.count)
        let workers = min(batch.count, context.threads)
        context.concurrently(workers) { worker, workerContext in
            var i = worker
            while i < batch.count {
                results.set(i, batch[i].withUnsafeBufferPointer {
                    run($0.baseAddress!, context: workerContext, observer: nil, encodersInParallel: false)
                })
                i += workers
            }
        }
        return results.values
    }

    /// Runs the graph with `context` (default: the model's) and, when `observer` is given, shows
    /// it every tapped feature map. An observer that may be called from both encoders' threads
    /// at once (`observerIsConcurrent`) keeps the encoders side by side.
    func run(_ input: UnsafePointer<Float>, context: ComputeContext? = nil, observer: TapObserver?,
             encodersInParallel: Bool = false, observerIsConcurrent: Bool = false) -> Prediction {
        let sideBySide = encodersInParallel && (observer == nil || observerIsConcurrent)
        return pass(input, workspace: sideBySide ? .arenaPerEncoder : .sharedArena, context: context, observer: observer,
                    encodersInParallel: encodersInParallel, observerIsConcurrent: observerIsConcurrent) { p, _ in p }
    }

    /// One forward pass in a workspace of `kind`; `body` gets the prediction and the workspace
    /// (still holding the pass's memory: with `.keepingTaps`, every tapped map) before the
    /// workspace goes back to the pool.
    func pass<T>(_ input: UnsafePointer<Float>, workspace kind: Workspace.Kind, context: ComputeContext? = nil,
                 observer: TapObserver? = nil, encodersInParallel: Bool, observerIsConcurrent: Bool = false,
                 _ body: (Prediction, Workspace) -> T) -> T {
        let ws = pool.take(kind)
        defer { pool.give(ws) }
        let n = graph.classes
        var heads = [Float](repeating: 0, count: 5 * n)
        var final = [Float](repeating: 0, count: n)
        heads.withUnsafeMutableBufferPointer { h in
            final.withUnsafeMutableBufferPointer { f in
                graph.forward(input, workspace: ws, headProbabilities: h.baseAddress!, probabilities: f.baseAddress!,
                              context: context ?? self.context, encodersInParallel: encodersInParallel, observer: observer,
                              observerIsConcurrent: observerIsConcurrent)
            }
        }
        let perHead = HeadScale.allCases.enumerated().map { i, scale in
            HeadPrediction(scale: scale, probabilities: Array(heads[i * n..<(i + 1) * n]))
        }
        return body(Prediction(labels: labels, probabilities: final, heads: perHead), ws)
    }
}

/// Workspaces kept for reuse between predictions; a caller that finds none free makes one.
/// A pass running the encoders one after the other takes a small shared-arena workspace if one
/// is free, else any; side by side needs an arena per encoder; Grad-CAM needs the plans that
/// keep the taps (`Workspace.Kind`).
final class WorkspacePool: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [Workspace] = []
    private let make: @Sendable (Workspace.Kind) -> Workspace
    private let keep: Int

    init(make: @escaping @Sendable (Workspace.Kind) -> Workspace,
         keep: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.make = make
        self.keep = keep
    }

    func take(_ kind: Workspace.Kind) -> Workspace {
        lock.lock()
        let index: Int?
        switch kind {
        case .sharedArena: index = free.lastIndex { $0.kind == .sharedArena } ?? free.indices.last
        case .arenaPerEncoder: index = free.lastIndex { $0.kind == .arenaPerEncoder } ?? free.lastIndex { $0.kind == .keepingTaps }
        case .keepingTaps: index = free.lastIndex { $0.kind == .keepingTaps }
        }
        let ws = index.map { free.remove(at: $0) }
        lock.unlock()
        return ws ?? make(kind)
    }

    func give(_ ws: Workspace) {
        lock.lock()
        if free.count < keep { free.append(ws) }
        lock.unlock()
    }
}

/// Results written by concurrent workers, each to its own index.
final class PredictionSlots: @unchecked Sendable {
    private var slots: [Prediction?]
    private let lock = NSLock()

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ p: Prediction) {
        lock.lock()
        slots[i] = p
        lock.unlock()
    }

    var values: [Prediction] { slots.compactMap { $0 } }
}
