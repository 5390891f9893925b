import CVRNet
import Foundation
import ImageInput
import TestSupport
import Testing

/// One model shared by many threads: every prediction must be bit for bit the one a serial run
/// gives, whatever runs beside it (single images, whose two encoders run on separate cores, and
/// batches, which give each core its own image), and whatever thread count a model has. Run
/// under ThreadSanitizer by
/// `tools/sanitize.sh thread`.
@Suite(.serialized) struct ConcurrencyTests {
    static let weightsFile = "reference-2class-keras231-weights.hdf5"
    static let threads = 8
    static let predictionsPerThread = 3

    /// The reference weights; fails (never skips) when tools/prepare.sh has not made them.
    static func loadModel(_ options: CVRNetModel.Options = CVRNetModel.Options()) throws -> CVRNetModel {
        let url = RepositoryPaths.weights.appendingPathComponent(weightsFile)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw GeneratedFileMissing(message: RepositoryPaths.missingGeneratedFile(url))
        }
        return try CVRNetModel(weightsPath: url.path, options: options)
    }

    /// Four different sample images and one seeded noise tensor.
    static func inputs() throws -> [[Float]] {
        let loader = KerasImageLoader()
        var inputs = try ["png-rgb8-333x287.png", "jpeg-gray-448x448.jpg", "png-gray16-interlaced-150x170.png",
                          "jpeg-progressive-301x299.jpg"].map { name in
            try loader.load(path: RepositoryPaths.sampleImages.appendingPathComponent(name).path).pixels
        }
        var state: UInt64 = 0x2007_1199_3000_0001
        inputs.append((0..<(224 * 224 * 3)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 56)
        })
        return inputs
    }

    /// Every float of a prediction, final and per head, as bits.
    static func bits(_ p: Prediction) -> [UInt32] {
        p.probabilities.map(\.bitPattern) + p.heads.flatMap { $0.probabilities.map(\.bitPattern) }
    }

    @Test("8 threads predicting at once on one model give the serial results bit for bit")
    func concurrentPredictionsEqualSerial() throws {
        let model = try Self.loadModel()
        let inputs = try Self.inputs()
        let serial = try inputs.map { try Self.bits(model.predict(pixels: $0)) }
        #expect(Set(serial).count == inputs.count, "the inputs should give different predictions")

        Self.runOnThreads(Self.threads, serial: serial) { t, j, index in
            if t % 4 == 3 {
                // Every fourth thread sends a batch of two beside the single images.
                return Self.bits(try model.predict(batch: [inputs[index], inputs[(index + 1) % inputs.count]])[0])
            }
            return Self.bits(try model.predict(pixels: inputs[index]))
        }
    }

    @Test("two models with different thread counts, used at once from 6 threads, give the same bits")
    func modelsWithDifferentThreadCounts() throws {
        let reference = try Self.loadModel()
        let models = [try Self.loadModel(CVRNetModel.Options(threads: 1)), try Self.loadModel(CVRNetModel.Options(threads: 3))]
        #expect(models.map(\.options.threads) == [1, 3])
        let inputs = try Self.inputs()
        let serial = try inputs.map { try Self.bits(reference.predict(pixels: $0)) }

        Self.runOnThreads(6, serial: serial, describe: { t in "threads \(models[t % 2].options.threads)" }) { t, j, index in
            let model = models[t % 2]
            if j == 1 {
                return Self.bits(try model.predict(batch: [inputs[(index + 1) % inputs.count], inputs[index]])[1])
            }
            return Self.bits(try model.predict(pixels: inputs[index]))
        }
    }

    /// Starts `threads` threads at once; thread `t` makes `predictionsPerThread` predictions,
    /// its `j`-th on input `(t + j) % serial.count` through `predict(t, j, index)`, and each
    /// must give `serial[index]`'s bits.
    static func runOnThreads(_ threads: Int, serial: [[UInt32]], describe: @escaping @Sendable (Int) -> String = { _ in "" },
                             _ predict: @escaping @Sendable (_ t: Int, _ j: Int, _ index: Int) throws -> [UInt32]) {
        let results = Results(count: threads * predictionsPerThread)
        let group = DispatchGroup()
        for t in 0..<threads {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                for j in 0..<predictionsPerThread {
                    let slot = t * predictionsPerThread + j
                    let index = (t + j) % serial.count
                    do {
                        results.set(slot, index: index, bits: try predict(t, j, index))
                    } catch {
                        results.fail(slot, "\(error)")
                    }
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()
        for (slot, outcome) in results.all.enumerated() {
            let t = slot / predictionsPerThread
            switch outcome {
            case .none: Issue.record("prediction \(slot) did not run")
            case .failure(let message)?: Issue.record("prediction \(slot) failed: \(message)")
            case .success(let index, let bits)?:
                #expect(bits == serial[index], "thread \(t) \(describe(t)) prediction \(slot % predictionsPerThread) on input \(index) differs from the serial run")
            }
        }
    }

    @Test("predict(batch:) equals one predict(pixels:) per image, bit for bit and in order")
    func batchEqualsSerial() throws {
        let model = try Self.loadModel()
        let inputs = try Self.inputs()
        let serial = try inputs.map { try Self.bits(model.predict(pixels: $0)) }
        let order = Array(inputs.indices) + inputs.indices.reversed()
        let batch = try model.predict(batch: order.map { inputs[$0] })
        #expect(batch.count == order.count)
        for (position, index) in order.enumerated() where position < batch.count {
            #expect(Self.bits(batch[position]) == serial[index], "batch position \(position) (input \(index)) differs")
        }
        #expect(try model.predict(batch: []).isEmpty)
        #expect(try Self.bits(model.predict(batch: [inputs[2]])[0]) == serial[2])
    }

    @Test("a wrong-sized tensor in a batch is refused before any prediction")
    func batchWithAWrongSizedInput() throws {
        let model = try Self.loadModel()
        let good = [Float](repeating: 0, count: 224 * 224 * 3)
        #expect(throws: CVRNetError.inputSize(found: 5, expected: 224 * 224 * 3)) {
            try model.predict(batch: [good, [1, 2, 3, 4, 5], good])
        }
    }
}

/// What the threads report, one slot per prediction.
private final class Results: @unchecked Sendable {
    enum Outcome { case success(index: Int, bits: [UInt32]), failure(String) }
    private let lock = NSLock()
    private var slots: [Outcome?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ slot: Int, index: Int, bits: [UInt32]) { lock.withLock { slots[slot] = .success(index: index, bits: bits) } }
    func fail(_ slot: Int, _ message: String) { lock.withLock { slots[slot] = .failure(message) } }
    var all: [Outcome?] { lock.withLock { slots } }
}
