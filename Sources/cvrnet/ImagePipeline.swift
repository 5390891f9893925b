import CVRNet
import Foundation
import ImageInput

/// A classified image.
struct ClassifiedImage: @unchecked Sendable {
    /// The prediction: the model's, or with several models the ensemble's (their mean).
    let prediction: Prediction
    /// Each model's own prediction, in model order (only with several models; empty otherwise).
    var modelPredictions: [Prediction] = []
    /// What loading noticed (16-bit clipping, ignored EXIF orientation, ...).
    let notes: [ImageNote]
    /// The exact tensor given to the network, when the pipeline was asked to keep it.
    let input: [Float]?
    /// Grad-CAM of the top class, when the pipeline was asked to explain (its prediction is
    /// `prediction`).
    var explanation: GradCAMExplanation? = nil
}

/// Why an image has no prediction: one sentence naming the file.
struct ImageFailure: Error, Sendable {
    let message: String
}

/// Decodes images on a background thread while the network runs, and classifies up to
/// `threads` images at once; hands the results back in input order, on the calling thread.
/// With `explain`, each image is explained (Grad-CAM of its top class) instead, one at a time.
///
/// With `threads == 1` each image goes through `predict(pixels:)`, which spreads one image
/// over all cores. With more, one classifying thread takes up to `threads` decoded images at
/// a time and hands them to `predict(batch:)`, which runs them side by side, one per core.
/// At most `2 * threads + 1` images are decoded, in flight or waiting to be handed back at
/// any time, so memory stays bounded however many files there are.
final class ImagePipeline: @unchecked Sendable {
    private let models: [CVRNetModel]
    private let loader: KerasImageLoader
    private let preprocessing: InputPreprocessing
    private let paths: [String]
    private let threads: Int
    private let keepInputs: Bool
    private let explain: Bool

    private let condition = NSCondition()
    private var decoded: [(index: Int, image: Result<ModelInputImage, ImageFailure>)] = []
    private var decodedHead = 0
    private var decoderDone = false
    private var cancelled = false
    private var finished: [Int: Result<ClassifiedImage, ImageFailure>] = [:]
    private let slots: DispatchSemaphore

    convenience init(model: CVRNetModel, loader: KerasImageLoader, preprocessing: InputPreprocessing,
                     paths: [String], threads: Int, keepInputs: Bool = false, explain: Bool = false) {
        self.init(models: [model], loader: loader, preprocessing: preprocessing, paths: paths,
                  threads: threads, keepInputs: keepInputs, explain: explain)
    }

    /// With several `models` (an ensemble, which must share its labels) each image is decoded
    /// once and classified by every model in turn; its prediction is `Ensemble.mean` of theirs.
    /// `explain` takes one model.
    init(models: [CVRNetModel], loader: KerasImageLoader, preprocessing: InputPreprocessing,
         paths: [String], threads: Int, keepInputs: Bool = false, explain: Bool = false) {
        precondition(!models.isEmpty && (!explain || models.count == 1))
        self.models = models
        self.loader = loader
        self.preprocessing = preprocessing
        self.paths = paths
        self.threads = max(1, threads)
        self.keepInputs = keepInputs
        self.explain = explain
        self.slots = DispatchSemaphore(value: 2 * self.threads + 1)
    }

    /// Processes every path and calls `deliver(index, result)` for each, in order, until
    /// `deliver` returns false (then no further image is started).
    func run(_ deliver: (Int, Result<ClassifiedImage, ImageFailure>) -> Bool) {
        guard !paths.isEmpty else { return }
        start { self.decodeAll() }
        start { self.classifyUntilDone() }
        for index in paths.indices {
            condition.lock()
            while finished[index] == nil { condition.wait() }
            let result = finished.removeValue(forKey: index)!
            condition.unlock()
            guard deliver(index, result) else {
                condition.lock()
                cancelled = true
                condition.unlock()
                return
            }
            slots.signal()
        }
    }

    private func start(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.stackSize = 8 << 20
        thread.start()
    }

    private func decodeAll() {
        for (index, path) in paths.enumerated() {
            slots.wait()
            condition.lock()
            let stop = cancelled
            condition.unlock()
            if stop { break }
            let image: Result<ModelInputImage, ImageFailure>
            if let problem = DICOMSafetyCheck.problem(path: path, options: loader.options) {
                // A DICOM file is decoded in a child first: a GDCM crash there is one failure.
                image = .failure(ImageFailure(message: problem))
            } else {
                do {
                    image = .success(try loader.load(path: path))
                } catch {
                    image = .failure(ImageFailure(message: ErrorMessages.image(error, path: path)))
                }
            }
            condition.lock()
            decoded.append((index, image))
            condition.broadcast()
            condition.unlock()
        }
        condition.lock()
        decoderDone = true
        condition.broadcast()
        condition.unlock()
    }

    private func classifyUntilDone() {
        while true {
            // Wait for one decoded image, then take whatever else is ready, up to `threads`.
            condition.lock()
            while decodedHead == decoded.count && !decoderDone { condition.wait() }
            if decodedHead == decoded.count {
                condition.unlock()
                return
            }
            let take = min(threads, decoded.count - decodedHead)
            let items = Array(decoded[decodedHead..<(decodedHead + take)])
            decodedHead += take
            if decodedHead > 64 {  // drop consumed entries now and then
                decoded.removeFirst(decodedHead)
                decodedHead = 0
            }
            condition.unlock()

            let results = classify(items)
            condition.lock()
            for (item, result) in zip(items, results) { finished[item.index] = result }
            condition.broadcast()
            condition.unlock()
        }
    }

    private func classify(_ items: [(index: Int, image: Result<ModelInputImage, ImageFailure>)]) -> [Result<ClassifiedImage, ImageFailure>] {
        var results = [Result<ClassifiedImage, ImageFailure>?](repeating: nil, count: items.count)
        var inputs: [[Float]] = []
        var inputOwners: [Int] = []
        var notes: [[ImageNote]] = []
        for (slot, item) in items.enumerated() {
            switch item.image {
            case .failure(let failure):
                results[slot] = .failure(failure)
            case .success(let image):
                var pixels = image.pixels
                preprocessing.apply(to: &pixels)
                inputs.append(pixels)
                inputOwners.append(slot)
                notes.append(image.notes)
            }
        }
        if explain {
            // Grad-CAM replaces the prediction: one image at a time (its encoders side by side),
            // the same forward pass plus the explanation's extra work.
            for (k, slot) in inputOwners.enumerated() {
                do {
                    let e = try models[0].explain(pixels: inputs[k])
                    results[slot] = .success(ClassifiedImage(prediction: e.prediction, notes: notes[k],
                                                             input: keepInputs ? inputs[k] : nil, explanation: e))
                } catch {
                    results[slot] = .failure(ImageFailure(message: ErrorMessages.image(error, path: paths[items[slot].index])))
                }
            }
        } else if !inputs.isEmpty {
            do {
                // perModel[m][k]: model m on input k, each model run exactly as it runs alone.
                var perModel: [[Prediction]] = []
                for model in models {
                    perModel.append(inputs.count == 1 ? [try model.predict(pixels: inputs[0])] : try model.predict(batch: inputs))
                }
                for (k, slot) in inputOwners.enumerated() {
                    if perModel.count == 1 {
                        results[slot] = .success(ClassifiedImage(prediction: perModel[0][k], notes: notes[k], input: keepInputs ? inputs[k] : nil))
                    } else {
                        let each = perModel.map { $0[k] }
                        results[slot] = .success(ClassifiedImage(prediction: Ensemble.mean(each), modelPredictions: each,
                                                                 notes: notes[k], input: keepInputs ? inputs[k] : nil))
                    }
                }
            } catch {
                for slot in inputOwners {
                    results[slot] = .failure(ImageFailure(message: ErrorMessages.image(error, path: paths[items[slot].index])))
                }
            }
        }
        return results.map { $0! }
    }

    /// What the DICOM display pipeline did to a classified image (nil for PNG and JPEG).
    static func dicomRendering(_ result: Result<ClassifiedImage, ImageFailure>) -> DICOMRendering? {
        guard case .success(let classified) = result else { return nil }
        for note in classified.notes {
            if case .dicomRendered(let rendering) = note { return rendering }
        }
        return nil
    }
}
