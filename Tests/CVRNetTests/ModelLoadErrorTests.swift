import CVRNet
import Foundation
import KerasFormat
import TestSupport
import Testing

/// Bad weights files through the public entry point, `CVRNetModel(weightsPath:)`: every one
/// gives one `CVRNetError` whose message is one line naming the file and the problem.
///
/// The small broken files are in `Tests/Fixtures/model-errors/` (made by
/// `tools/make_model_error_fixtures.py`; its README lists them); the format-level ones are
/// shared with `KerasFormatTests`; the truncated and half-written files are cut from the
/// reference weights that `tools/prepare.sh` generates.
@Suite struct ModelLoadErrorTests {
    static let fixtures = RepositoryPaths.fixtures.appendingPathComponent("model-errors")
    static let formatFixtures = RepositoryPaths.fixtures.appendingPathComponent("format")
    static let referenceWeights = RepositoryPaths.weights.appendingPathComponent("reference-2class-keras231-weights.hdf5")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }
    static func formatFixture(_ name: String) -> String { formatFixtures.appendingPathComponent(name).path }

    /// The error loading `path` throws; records an issue when it loads.
    func loadError(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) -> CVRNetError? {
        do {
            let model = try CVRNetModel(weightsPath: path)
            Issue.record("\(path) loaded (\(model.classCount) classes) but must fail", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    /// Checks that the message is one line naming `path` and containing every phrase.
    func expectMessage(_ error: CVRNetError?, names path: String, _ phrases: String...,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        guard let message = error?.description else { return }
        #expect(message.contains(path), "message does not name the file: \(message)", sourceLocation: sourceLocation)
        #expect(!message.contains("\n"), "message is not one line: \(message)", sourceLocation: sourceLocation)
        for phrase in phrases {
            #expect(message.contains(phrase), "'\(phrase)' missing from: \(message)", sourceLocation: sourceLocation)
        }
    }

    // MARK: - CVR-Net structure

    @Test func layerMissingNamesTheLayerAndTheTFKerasScheme() {
        let path = Self.fixture("tfkeras-stem-bn-missing.h5")
        let error = loadError(path)
        #expect(error == .layerMissing(path: path, layer: "res_conv1_bn", scheme: .tfKeras))
        expectMessage(error, names: path, "layer 'res_conv1_bn' is missing (assuming tf.keras layer names")
    }

    @Test func layerMissingNamesTheLayerAndTheKeras231Scheme() {
        let path = Self.fixture("keras231-stem-bn-missing.h5")
        let error = loadError(path)
        #expect(error == .layerMissing(path: path, layer: "res_bn_conv1", scheme: .keras231))
        expectMessage(error, names: path, "layer 'res_bn_conv1' is missing (assuming Keras 2.3.1 layer names")
    }

    @Test func wrongShapeNamesLayerWeightAndBothShapes() {
        let path = Self.fixture("stem-kernel-wrong-shape.h5")
        let error = loadError(path)
        #expect(error == .shapeMismatch(path: path, layer: "res_conv1_conv", weight: "conv1_conv/kernel:0",
                                        found: [7, 7, 3, 32], expected: [7, 7, 3, 64]))
        expectMessage(error, names: path, "res_conv1_conv/conv1_conv/kernel:0", "[7, 7, 3, 32]", "[7, 7, 3, 64]")
    }

    @Test func wrongNumberOfWeightArrays() {
        let path = Self.fixture("stem-weight-count.h5")
        let error = loadError(path)
        #expect(error == .weightCount(path: path, layer: "res_conv1_conv", found: 1, expected: 2))
        expectMessage(error, names: path, "'res_conv1_conv' has 1 weight arrays, expected 2")
    }

    @Test func headsWithDifferentClassCounts() {
        let path = Self.fixture("heads-disagree.h5")
        let error = loadError(path)
        #expect(error == .headsDisagree(path: path, classCounts: [2, 2, 3, 2, 2]))
        expectMessage(error, names: path, "the five heads disagree on the class count (2, 2, 3, 2, 2)")
    }

    @Test func headsWithOneClass() {
        let path = Self.fixture("one-class.h5")
        guard case .unknownLayout(let p, let detail)? = loadError(path) else {
            Issue.record("expected unknownLayout")
            return
        }
        #expect(p == path)
        #expect(detail.contains("at least 2 classes"))
    }

    @Test func xceptionResidualLayersMissing() {
        let path = Self.fixture("xception-residuals-missing.h5")
        let error = loadError(path)
        guard case .autoNamedLayers(_, let detail)? = error else {
            Issue.record("expected autoNamedLayers, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("expected 4 Xception residual layers 'xce_conv2d*'"))
        expectMessage(error, names: path, "found 0 and 0")
    }

    @Test func kerasFileOfAnotherModel() {
        let path = RepositoryPaths.layerFixtures.appendingPathComponent("dense_linear_10_to5.h5").path
        let error = loadError(path)
        guard case .unknownLayout? = error else {
            Issue.record("expected unknownLayout, got \(String(describing: error))")
            return
        }
        expectMessage(error, names: path, "not a CVR-Net weights file", "'res_conv1_conv'", "'res_conv1'")
    }

    @Test func kerasFileOfAnotherModelWithAResNetStemName() {
        // Its first layer is called res_conv1, so the Keras 2.3.1 scheme is assumed; the
        // Xception layers are what is missing then.
        let path = Self.formatFixture("tiny_weights.h5")
        guard case .autoNamedLayers? = loadError(path) else {
            Issue.record("expected autoNamedLayers")
            return
        }
    }

    // MARK: - Values

    @Test func nanInAWeight() {
        let path = Self.fixture("stem-kernel-nan.h5")
        let error = loadError(path)
        #expect(error == .weightsFile(.nonFiniteValue(path: path, layer: "res_conv1_conv", weight: "conv1_conv/kernel:0",
                                                      value: "NaN", index: 1234)))
        expectMessage(error, names: path, "NaN in res_conv1_conv/conv1_conv/kernel:0 (element 1234)")
    }

    @Test func infinityInAWeight() {
        let path = Self.fixture("stem-bias-inf.h5")
        let error = loadError(path)
        #expect(error == .weightsFile(.nonFiniteValue(path: path, layer: "res_conv1", weight: "conv1/bias:0",
                                                      value: "+Inf", index: 5)))
        expectMessage(error, names: path, "+Inf in res_conv1/conv1/bias:0 (element 5)")
    }

    // MARK: - Not a weights file at all

    @Test func notHDF5() {
        let path = Self.formatFixture("not_hdf5.txt")
        let error = loadError(path)
        #expect(error == .weightsFile(.notHDF5(path: path)))
        expectMessage(error, names: path, "is not an HDF5 file")
    }

    @Test func emptyFile() {
        let path = Self.formatFixture("empty.h5")
        let error = loadError(path)
        #expect(error == .weightsFile(.emptyFile(path: path)))
        expectMessage(error, names: path, "is empty (0 bytes)")
    }

    @Test func hdf5WithoutKerasAttributes() {
        let path = Self.formatFixture("plain.h5")
        let error = loadError(path)
        guard case .weightsFile(.notKerasWeights)? = error else {
            Issue.record("expected notKerasWeights, got \(String(describing: error))")
            return
        }
        expectMessage(error, names: path, "not a Keras weights file", "layer_names")
    }

    @Test func keras3Archive() {
        let path = Self.formatFixture("keras3_model.keras")
        let error = loadError(path)
        guard case .weightsFile(.kerasArchiveMemberMissing)? = error else {
            Issue.record("expected kerasArchiveMemberMissing, got \(String(describing: error))")
            return
        }
        expectMessage(error, names: path, "is not a complete Keras 3 .keras model file")
    }

    @Test func missingFileAndDirectory() {
        let missing = Self.fixture("no-such-weights.h5")
        #expect(loadError(missing) == .weightsFile(.fileNotFound(path: missing)))
        let directory = Self.fixtures.path
        #expect(loadError(directory) == .weightsFile(.fileUnreadable(path: directory, reason: "it is a directory")))
    }

    // MARK: - Truncated and half-written copies of a real weights file

    /// The reference weights; the test fails (never skips) when they have not been generated.
    static func requireReferenceWeights() throws -> URL {
        let url = referenceWeights
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw GeneratedFileMissing(message: RepositoryPaths.missingGeneratedFile(url))
        }
        return url
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cvrnet-model-errors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes the first `length` bytes of `source` to `destination`.
    static func copyPrefix(of source: URL, length: Int, to destination: URL) throws {
        let input = try FileHandle(forReadingFrom: source)
        defer { try? input.close() }
        FileManager.default.createFile(atPath: destination.path, contents: nil)
        let output = try FileHandle(forWritingTo: destination)
        defer { try? output.close() }
        var left = length
        while left > 0, let chunk = try input.read(upToCount: min(left, 8 << 20)), !chunk.isEmpty {
            try output.write(contentsOf: chunk)
            left -= chunk.count
        }
    }

    @Test func truncatedCopiesOfTheReferenceWeights() throws {
        let source = try Self.requireReferenceWeights()
        let size = try #require(try FileManager.default.attributesOfItem(atPath: source.path)[.size] as? Int)
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for cut in [0, 1, 7, 8, 96, 512, 2048, 64 << 10, 1 << 20, size / 3, size / 2, size - 4096, size - 1] {
            let copy = directory.appendingPathComponent("cut-at-\(cut).hdf5")
            try Self.copyPrefix(of: source, length: cut, to: copy)
            let error = loadError(copy.path)
            switch error {
            case .weightsFile(.emptyFile)?:
                #expect(cut == 0)
            case .weightsFile(.notHDF5)?:
                #expect(cut < 8, "cut at \(cut) of \(size): \(String(describing: error))")
            case .weightsFile(.corruptFile(_, nil, let detail))?:
                // Cut inside the superblock, libhdf5 finds it malformed; after it, too short.
                #expect(cut < 96 || detail.contains("truncated"), "cut at \(cut) of \(size): \(detail)")
                expectMessage(error, names: copy.path, "is truncated or corrupt")
            default:
                Issue.record("cut at \(cut) of \(size): unexpected \(String(describing: error))")
            }
            expectMessage(error, names: copy.path)
            try FileManager.default.removeItem(at: copy)
        }
    }

    @Test("a file being written while it is read: every attempt fails cleanly until it is complete")
    func fileBeingWritten() throws {
        let source = try Self.requireReferenceWeights()
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let destination = directory.appendingPathComponent("being-copied.hdf5")
        FileManager.default.createFile(atPath: destination.path, contents: nil)

        // A writer thread copies the file in pieces, as `cp` or a download would, while this
        // thread keeps trying to load it. A thread of its own, so a busy task pool (tests run
        // in parallel) cannot hold the copy up.
        let done = Flag()
        let copyFailure = Flag()
        let finished = DispatchSemaphore(value: 0)
        let writer = Thread {
            defer { done.set(); finished.signal() }
            do {
                let input = try FileHandle(forReadingFrom: source)
                defer { try? input.close() }
                let output = try FileHandle(forWritingTo: destination)
                defer { try? output.close() }
                while let chunk = try input.read(upToCount: 3 << 20), !chunk.isEmpty {
                    try output.write(contentsOf: chunk)
                    usleep(2_000)
                }
            } catch {
                copyFailure.set()
            }
        }
        writer.start()
        var attempts = 0, failures = 0
        while !done.isSet {
            attempts += 1
            do {
                _ = try CVRNetModel(weightsPath: destination.path)
                // The last piece may land between the check of `done` and the load.
            } catch {
                failures += 1
                switch error {
                case .weightsFile(.emptyFile), .weightsFile(.notHDF5), .weightsFile(.corruptFile): break
                default: Issue.record("attempt \(attempts): unexpected \(error)")
                }
                expectMessage(error, names: destination.path)
            }
            usleep(500)
        }
        finished.wait()
        #expect(!copyFailure.isSet, "the copy failed")
        #expect(failures >= 1, "the load never overlapped the copy (\(attempts) attempts)")
        print("file being written: \(failures) of \(attempts) loads failed cleanly before the copy was complete")
        let model = try CVRNetModel(weightsPath: destination.path)
        #expect(model.classCount == 2)
    }

    @Test("a file a writer holds locked (as libhdf5 does while writing) is reported as such",
          .enabled(if: ProcessInfo.processInfo.environment["HDF5_USE_FILE_LOCKING"]?.uppercased() != "FALSE"))
    func fileLockedByAWriter() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("locked.h5").path
        try FileManager.default.copyItem(atPath: Self.fixture("heads-disagree.h5"), toPath: path)
        let writer = open(path, O_RDWR)
        try #require(writer >= 0)
        defer { close(writer) }
        try #require(flock(writer, LOCK_EX | LOCK_NB) == 0)
        let error = loadError(path)
        guard case .weightsFile(.fileUnreadable(_, let reason))? = error else {
            Issue.record("expected fileUnreadable, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("another program holds a lock on it"))
        expectMessage(error, names: path, "cannot be read")
        flock(writer, LOCK_UN)
        // Once the writer is done the file reads (and shows its real problem).
        #expect(loadError(path) == .headsDisagree(path: path, classCounts: [2, 2, 3, 2, 2]))
    }
}

/// A flag set by one task and read by another.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
