import CVRNet
import Foundation
import ImageInput

/// A classified image.
struct ClassifiedImage: @unchecked Sendable {
    let prediction: Prediction
    /// What loading noticed (16-bit clipping, ignored EXIF orientation, ...).
    let notes: [ImageNote]
    /// The exact tensor given to the network, when the pipeline was asked to keep it.
    let input: [Float]?
}

/// Why an image has no prediction: one sentence naming the file.
struct ImageFailure: Error, Sendable {
    let message: String
}

/// Decodes images on a background thread while the network runs, and classifies up to
/// `threads` images at once; hands the results back in input order, on the calling thread.
///
/// At most `threads + 2` images are decoded, in flight or waiting to be handed back at any
/// time, so memory stays bounded however many files there are.
final class ImagePipeline: @unchecked Sendable {
    private let model: CVRNetModel
    private let loader: KerasImageLoader
    private let preprocessing: InputPreprocessing
    private let paths: [String]
    private let threads: Int
    private let keepInputs: Bool

    private let condition = NSCondition()
    private var decoded: [(index: Int, image: Result<ModelInputImage, ImageFailure>)] = []
    private var decodedHead = 0
    private var decoderDone = false
    private var cancelled = false
    private var finished: [Int: Result<ClassifiedImage, ImageFailure>] = [:]
    private let slots: DispatchSemaphore

    init(model: CVRNetModel, loader: KerasImageLoader, preprocessing: InputPreprocessing,
         paths: [String], threads: Int, keepInputs: Bool = false) {
        self.model = model
        self.loader = loader
        self.preprocessing = preprocessing
        self.paths = paths
        self.threads = max(1, threads)
        self.keepInputs = keepInputs
        self.slots = DispatchSemaphore(value: self.threads + 2)
    }

    /// Processes every path and calls `deliver(index, result)` for each, in order, until
    /// `deliver` returns false (then no further image is started).
    func run(_ deliver: (Int, Result<ClassifiedImage, ImageFailure>) -> Bool) {
        guard !paths.isEmpty else { return }
        start { self.decodeAll() }
        for _ in 0..<min(threads, paths.count) { start { self.classifyUntilDone() } }
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
            do {
                image = .success(try loader.load(path: path))
            } catch {
                image = .failure(ImageFailure(message: Self.sentence(error.description, naming: path)))
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
            condition.lock()
            while decodedHead == decoded.count && !decoderDone { condition.wait() }
            if decodedHead == decoded.count {
                condition.unlock()
                return
            }
            let item = decoded[decodedHead]
            decodedHead += 1
            if decodedHead > 64 {  // drop consumed entries now and then
                decoded.removeFirst(decodedHead)
                decodedHead = 0
            }
            condition.unlock()

            let result = item.image.flatMap { image in classify(image, path: paths[item.index]) }
            condition.lock()
            finished[item.index] = result
            condition.broadcast()
            condition.unlock()
        }
    }

    private func classify(_ image: ModelInputImage, path: String) -> Result<ClassifiedImage, ImageFailure> {
        var pixels = image.pixels
        preprocessing.apply(to: &pixels)
        do {
            let prediction = try model.predict(pixels: pixels)
            return .success(ClassifiedImage(prediction: prediction, notes: image.notes, input: keepInputs ? pixels : nil))
        } catch {
            return .failure(ImageFailure(message: Self.sentence(error.description, naming: path)))
        }
    }

    /// `message`, prefixed with the path when it does not already name the file.
    static func sentence(_ message: String, naming path: String) -> String {
        message.contains(path) ? message : "\(path): \(message)"
    }
}
