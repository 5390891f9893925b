import Foundation
import KerasFormat
import Testing

/// Every way a weights file can be wrong gives one error value whose message names the
/// file and the problem; nothing crashes and nothing is printed.
@Suite("KerasFormatError")
struct KerasFormatErrorTests {
    /// Opens `name` as a Keras weights file and returns the error; records an issue if it opened.
    func openError(_ path: String) -> KerasFormatError? {
        let error = formatError { try KerasWeightsFile(path: path) }
        #expect(error != nil, "\(path) opened without error")
        return error
    }

    /// Checks that the message is one sentence naming the file (by its path) and containing `phrases`.
    func expectMessage(_ error: KerasFormatError?, names path: String, _ phrases: String...,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        guard let message = error?.description else {
            Issue.record("no error", sourceLocation: sourceLocation)
            return
        }
        #expect(message.contains(path), "message does not name the file: \(message)", sourceLocation: sourceLocation)
        #expect(message.hasSuffix("."), "not a sentence: \(message)", sourceLocation: sourceLocation)
        #expect(!message.contains("\n"), sourceLocation: sourceLocation)
        for phrase in phrases {
            #expect(message.contains(phrase), "'\(phrase)' missing from: \(message)", sourceLocation: sourceLocation)
        }
        #expect(error?.path == path, sourceLocation: sourceLocation)
    }

    @Test("missing file")
    func missingFile() {
        let path = FormatFixtures.path("no_such_file.h5")
        let error = openError(path)
        #expect(error == .fileNotFound(path: path))
        expectMessage(error, names: path, "does not exist")
        #expect(formatError { try HDF5File(path: path) } == .fileNotFound(path: path))
        let inMissingFolder = FormatFixtures.path("no_such_folder/x.h5")
        #expect(openError(inMissingFolder) == .fileNotFound(path: inMissingFolder))
    }

    @Test("a directory is not readable as a file")
    func directory() {
        let path = FormatFixtures.directory.path
        let error = openError(path)
        #expect(error == .fileUnreadable(path: path, reason: "it is a directory"))
        expectMessage(error, names: path, "cannot be read", "directory")
    }

    @Test("an unreadable file", .enabled(if: getuid() != 0, "root reads any file"))
    func noPermission() throws {
        let directory = try FormatFixtures.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("locked.h5").path
        try FileManager.default.copyItem(atPath: FormatFixtures.path("tiny_weights.h5"), toPath: path)
        chmod(path, 0)
        let error = openError(path)
        expectMessage(error, names: path, "cannot be read", "Permission denied")
    }

    @Test("a file locked by a writer",
          .enabled(if: ProcessInfo.processInfo.environment["HDF5_USE_FILE_LOCKING"]?.uppercased() != "FALSE"))
    func lockedByWriter() throws {
        let directory = try FormatFixtures.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("being-written.h5").path
        try FileManager.default.copyItem(atPath: FormatFixtures.path("tiny_weights.h5"), toPath: path)
        // What libhdf5 does when a program opens a file for writing: an exclusive flock.
        let writer = open(path, O_RDWR)
        try #require(writer >= 0)
        defer { close(writer) }
        try #require(flock(writer, LOCK_EX | LOCK_NB) == 0)
        let error = openError(path)
        guard case .fileUnreadable(_, let reason)? = error else {
            Issue.record("expected fileUnreadable, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("another program holds a lock on it"))
        expectMessage(error, names: path, "cannot be read")
        flock(writer, LOCK_UN)
        #expect(try KerasWeightsFile(path: path).layerNames.count == 7)
    }

    @Test("empty file")
    func emptyFile() {
        let path = FormatFixtures.path("empty.h5")
        let error = openError(path)
        #expect(error == .emptyFile(path: path))
        expectMessage(error, names: path, "is empty (0 bytes)")
    }

    @Test("a text file is not HDF5")
    func textFile() {
        let path = FormatFixtures.path("not_hdf5.txt")
        let error = openError(path)
        #expect(error == .notHDF5(path: path))
        expectMessage(error, names: path, "is not an HDF5 file")
        #expect(formatError { try HDF5File(path: path) } == .notHDF5(path: path))
    }

    @Test("HDF5 without Keras attributes")
    func plainHDF5() {
        let path = FormatFixtures.path("plain.h5")
        let error = openError(path)
        #expect(error == .notKerasWeights(path: path, missing: "no layer_names attribute at the root and no model_weights group"))
        expectMessage(error, names: path, "is an HDF5 file but not a Keras weights file",
                      "no layer_names attribute at the root")
    }

    @Test("Keras 3 .weights.h5 without layer names and no layer table", arguments: ["keras3_layout.weights.h5", "keras3_like.h5"])
    func keras3Layout(_ name: String) {
        let path = FormatFixtures.path(name)
        let error = openError(path)
        #expect(error == .keras3LayerNamesUnknown(path: path))
        expectMessage(error, names: path, "keeps no layer names", "no layer table was given")
    }

    @Test(".keras zip archive without model.weights.h5")
    func kerasArchive() {
        let path = FormatFixtures.path("keras3_model.keras")
        let error = openError(path)
        #expect(error == .kerasArchiveMemberMissing(path: path, member: "config.json")
                || error == .kerasArchiveMemberMissing(path: path, member: "model.weights.h5"))
        expectMessage(error, names: path, "is not a complete Keras 3 .keras model file")
        // HDF5File itself still refuses zip files, saying what they are.
        let hdf5 = formatError { try HDF5File(path: path) }
        #expect(hdf5 == .kerasArchive(path: path))
        expectMessage(hdf5, names: path, "zip archive (the Keras 3 .keras format)")
    }

    @Test("a layer listed in layer_names without its group")
    func missingLayerGroup() {
        let path = FormatFixtures.path("missing_group.h5")
        let error = openError(path)
        #expect(error == .layerGroupMissing(path: path, layer: "sep1"))
        expectMessage(error, names: path, "lists layer 'sep1' in layer_names but has no group for it")
    }

    @Test("a weight listed in weight_names without its dataset")
    func missingWeight() {
        let path = FormatFixtures.path("missing_weight.h5")
        let error = openError(path)
        #expect(error == .weightMissing(path: path, layer: "dense_out", weight: "dense_out/gamma:0"))
        expectMessage(error, names: path, "lists weight 'dense_out/gamma:0' for layer 'dense_out'", "has no dataset")
    }

    @Test("integer weights")
    func integerWeights() throws {
        let path = FormatFixtures.path("int_weights.h5")
        let file = try KerasWeightsFile(path: path)  // the structure is fine
        #expect(try file.weights(ofLayer: "sep1").count == 3)
        let error = formatError { try file.weights(ofLayer: "dense_out") }
        #expect(error == .unsupportedDatatype(path: path, dataset: "/dense_out/dense_out/kernel:0", datatype: "32-bit integer"))
        expectMessage(error, names: path, "'/dense_out/dense_out/kernel:0'", "32-bit integer",
                      "only float16, float32 and float64")
    }

    @Test("NaN and infinity are refused on every read")
    func nonFinite() throws {
        let path = FormatFixtures.path("nan_weights.h5")
        let file = try KerasWeightsFile(path: path)
        #expect(try file.weights(ofLayer: "res_conv1").count == 2)  // clean layers still read

        let nan = formatError { try file.weights(ofLayer: "res_bn1") }
        #expect(nan == .nonFiniteValue(path: path, layer: "res_bn1", weight: "bn1/gamma:0", value: "NaN", index: 2))
        expectMessage(nan, names: path, "NaN in res_bn1/bn1/gamma:0", "element 2")

        let inf = formatError { try file.weight(ofLayer: "dense_out", named: "dense_out/bias:0") }
        #expect(inf == .nonFiniteValue(path: path, layer: "dense_out", weight: "dense_out/bias:0", value: "-Inf", index: 1))
        expectMessage(inf, names: path, "-Inf in dense_out/dense_out/bias:0")

        var buffer = [Float](repeating: 0, count: 3)
        let into = buffer.withUnsafeMutableBufferPointer { pointer in
            formatError { try file.readWeight(ofLayer: "dense_out", named: "dense_out/bias:0", into: pointer) }
        }
        #expect(into == inf)
    }

    @Test("finds the first non-finite value wherever it is")
    func nonFiniteScan() {
        for count in [1, 7, 1023, 1024, 1025, 5000] {
            for position in Set([0, count / 2, count - 1]) {
                for bad in [Float.nan, .infinity, -.infinity, .signalingNaN] {
                    var values = (0..<count).map { Float($0) * 0.5 - 100 }
                    values[position] = bad
                    if position + 1 < count { values[count - 1] = .nan }
                    let found = values.withUnsafeBufferPointer { KerasWeightsFile.firstNonFiniteIndex($0) }
                    #expect(found == position, "count \(count), \(bad) at \(position)")
                }
            }
            let clean = (0..<count).map { Float($0) - 3 } + [.greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                                                            .leastNonzeroMagnitude, -0.0]
            #expect(clean.withUnsafeBufferPointer { KerasWeightsFile.firstNonFiniteIndex($0) } == nil)
        }
    }

    @Test("the committed truncated copy fails to open")
    func truncatedFixture() {
        let path = FormatFixtures.path("truncated.h5")
        let error = openError(path)
        guard case .corruptFile(_, nil, let detail)? = error else {
            Issue.record("expected corruptFile, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("truncated"))
        expectMessage(error, names: path, "is truncated or corrupt", "libhdf5 cannot open it")
    }

    @Test("a copy cut at any offset fails cleanly", arguments: ["tiny_weights.h5", "tiny_full.h5", "tiny_fixed_f64.h5"])
    func truncatedAnywhere(_ name: String) throws {
        let size = try #require(try FileManager.default.attributesOfItem(atPath: FormatFixtures.path(name))[.size] as? Int)
        let directory = try FormatFixtures.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var offsets = Set([1, 8, 100, 1000, size / 2, size * 99 / 100, size - 1])
        offsets.formUnion(stride(from: 0, to: size, by: 509).dropFirst())
        for offset in offsets.sorted() {
            let path = try FormatFixtures.truncatedCopy(of: name, length: offset, in: directory, as: "cut-\(offset)-\(name)")
            let error = formatError { () throws -> Int in
                let file = try KerasWeightsFile(path: path)
                return try file.layerNames.map { try file.weights(ofLayer: $0).count }.reduce(0, +)
            }
            #expect(error != nil, "\(name) cut at \(offset) of \(size) read without error")
            if let error {
                #expect(error.description.contains(path))
                switch error {
                case .corruptFile, .notHDF5: break
                default: Issue.record("\(name) cut at \(offset): unexpected \(error)")
                }
            }
            try FileManager.default.removeItem(atPath: path)
        }
    }

    @Test("a truncated file that libhdf5 still opens: data past the end is an error, not zeros",
          arguments: ["truncated_eof_patched.h5", "truncated_chunked_eof_patched.h5"])
    func truncatedButOpens(_ name: String) throws {
        let path = FormatFixtures.path(name)
        let expected = FormatFixtures.expectation(name)
        let file = try KerasWeightsFile(path: path)
        #expect(file.layerNames.contains("big_dense"))
        // Data before the cut reads normally.
        let intact = try #require(expected["intact_layer"] as? String)
        #expect(try file.weights(ofLayer: intact).count == 2)
        let reference = FormatFixtures.expectedWeights("tiny_weights.h5")
        #expect(try file.weights(ofLayer: intact) == reference[intact])

        let layer = try #require(expected["cut_layer"] as? String)
        let weight = try #require(expected["cut_weight"] as? String)
        let error = formatError { try file.weights(ofLayer: layer) }
        guard case .corruptFile(_, let object?, _)? = error else {
            Issue.record("expected corruptFile, got \(String(describing: error))")
            return
        }
        #expect(object == "/\(layer)/\(weight)")
        expectMessage(error, names: path, "is truncated or corrupt", "reading '/big_dense/big_dense/kernel:0' failed")

        var buffer = [Float](repeating: 0, count: 32 * 32)
        let into = buffer.withUnsafeMutableBufferPointer { pointer in
            formatError { try file.readWeight(ofLayer: layer, named: weight, into: pointer) }
        }
        #expect(into == error)
        let hdf5 = formatError { try HDF5File(path: path).readFloatDataset("/\(layer)/\(weight)") }
        #expect(hdf5 == error)
    }

    @Test("every case has a one-sentence message naming the file")
    func allMessages() {
        let path = "/data/Model_task_1_Fold_2.hdf5"
        let errors: [KerasFormatError] = [
            .fileNotFound(path: path), .fileUnreadable(path: path, reason: "Permission denied"),
            .emptyFile(path: path), .notHDF5(path: path), .kerasArchive(path: path),
            .keras3WeightsLayout(path: path), .kerasArchiveUnreadable(path: path, detail: "d"),
            .kerasArchiveMemberMissing(path: path, member: "config.json"), .kerasArchiveConfigInvalid(path: path, detail: "d"),
            .keras3LayerNamesUnknown(path: path), .keras3StructureMismatch(path: path, detail: "d"), .notKerasWeights(path: path, missing: "no layer_names attribute"),
            .layerGroupMissing(path: path, layer: "a"), .layerNotFound(path: path, layer: "a"),
            .weightMissing(path: path, layer: "a", weight: "b"),
            .weightNotFound(path: path, layer: "a", weight: "b", available: []),
            .objectNotFound(path: path, object: "/x"), .wrongObjectKind(path: path, object: "/x", expected: "group"),
            .unsupportedDatatype(path: path, dataset: "/x", datatype: "string"),
            .nonFiniteValue(path: path, layer: "a", weight: "b", value: "NaN", index: 0),
            .bufferSizeMismatch(path: path, dataset: "/x", expected: 1, actual: 2),
            .corruptFile(path: path, object: nil, detail: "d"), .corruptFile(path: path, object: "/x", detail: "d"),
        ]
        for error in errors {
            expectMessage(error, names: path)
            #expect("\(error)" == error.description)
        }
        #expect(KerasFormatError.weightNotFound(path: path, layer: "a", weight: "b", available: []).description
            .contains("it has no weights"))
    }
}
