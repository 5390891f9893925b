import Foundation
@testable import KerasFormat
import Testing

/// Keras 3 files (`.weights.h5` with and without `name` attributes, `.keras` archives, Keras 3's
/// legacy `.h5`) on the small fixtures of `Tests/Fixtures/keras3/` (made by
/// `tools/make_keras3_format_fixtures.py` with Keras 3.15, which also recorded in
/// `expected.json` every layer's group, name and weight values as Keras gives them).
@Suite("Keras 3 files")
struct Keras3FileTests {
    static let directory = FormatFixtures.repositoryRoot.appendingPathComponent("Tests/Fixtures/keras3")
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static var expected: [String: Any] {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("expected.json")),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return object
    }

    /// The tiny model's layers in `model.layers` order: (group, name), as Keras recorded them.
    static var table: [(path: String, name: String)] {
        ((expected["layers"] as? [[String]]) ?? []).map { (path: $0[0], name: $0[1]) }
    }

    /// Every weight of every layer equals Keras's `get_weights()`, bit for bit (float32 stored).
    func expectKerasWeights(_ file: KerasWeightsFile, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let weights = try #require(Self.expected["weights"] as? [String: [[String: Any]]])
        #expect(weights.count == 6, sourceLocation: sourceLocation)  // conv, BN, conv, separable conv, two Dense
        for (layer, arrays) in weights {
            let got = try file.weights(ofLayer: layer)
            #expect(got.count == arrays.count, "\(layer)", sourceLocation: sourceLocation)
            for (array, want) in zip(got, arrays) {
                #expect(array.shape == want["shape"] as? [Int], "\(layer) \(array.name)", sourceLocation: sourceLocation)
                #expect(array.values == ((want["values"] as? [Double]) ?? []).map { Float($0) }, "\(layer) \(array.name)",
                        sourceLocation: sourceLocation)
            }
        }
    }

    @Test func snakeCaseIsKeras3s() {
        // The class -> group-name rule, against the groups Keras wrote (expected.json) and the
        // classes CVR-Net uses.
        #expect(keras3SnakeCase("Conv2D") == "conv2d")
        #expect(keras3SnakeCase("BatchNormalization") == "batch_normalization")
        #expect(keras3SnakeCase("SeparableConv2D") == "separable_conv2d")
        #expect(keras3SnakeCase("GlobalAveragePooling2D") == "global_average_pooling2d")
        #expect(keras3SnakeCase("ZeroPadding2D") == "zero_padding2d")
        #expect(keras3SnakeCase("MaxPooling2D") == "max_pooling2d")
        #expect(keras3SnakeCase("InputLayer") == "input_layer")
        #expect(keras3SnakeCase("ReLU") == "re_lu")
        #expect(keras3GroupPaths(classNames: ["InputLayer", "Conv2D", "BatchNormalization", "ReLU", "Conv2D", "Dense", "Dense"])
                == ["input_layer", "conv2d", "batch_normalization", "re_lu", "conv2d_1", "dense", "dense_1"])
    }

    @Test func weightsWithNameAttributes() throws {
        let file = try KerasWeightsFile(path: Self.path("tiny.weights.h5"))
        #expect(file.layout == .keras3Weights)
        #expect(file.keras3LayerNaming == .nameAttributes)
        #expect(Set(file.layerNames) == Set(Self.table.map(\.name)))
        for entry in Self.table { #expect(file.keras3GroupPaths[entry.name] == "layers/" + entry.path) }
        #expect(try file.weightNames(ofLayer: "res_bn1") == ["vars/0", "vars/1", "vars/2", "vars/3"])
        #expect(try file.weightNames(ofLayer: "re_lu") == [])
        #expect(try file.datasetPath(ofLayer: "dense_b", named: "vars/1") == "/layers/dense_1/vars/1")
        #expect(file.kerasVersion == nil)
        try expectKerasWeights(file)
    }

    @Test func weightsWithoutNameAttributesNeedTheTable() throws {
        let path = Self.path("tiny-noattrs.weights.h5")
        #expect(formatError { try KerasWeightsFile(path: path) } == .keras3LayerNamesUnknown(path: path))
        let file = try KerasWeightsFile(path: path, keras3LayerTable: Self.table)
        #expect(file.layout == .keras3Weights)
        #expect(file.keras3LayerNaming == .layerTable)
        #expect(file.layerNames == Self.table.map(\.name))
        try expectKerasWeights(file)
        // A table is ignored when the file names its layers.
        let named = try KerasWeightsFile(path: Self.path("tiny.weights.h5"), keras3LayerTable: [(path: "x", name: "y")])
        #expect(named.keras3LayerNaming == .nameAttributes)
    }

    @Test func compiledCheckpointIgnoresOptimizerState() throws {
        let file = try KerasWeightsFile(path: Self.path("tiny-compiled.weights.h5"))
        #expect(file.hdf5.isGroup("/optimizer/vars"))
        #expect(file.layerNames.count == Self.table.count)
        try expectKerasWeights(file)
    }

    @Test(arguments: ["tiny.keras", "deflated.keras"])
    func archive(_ name: String) throws {
        let file = try KerasWeightsFile(path: Self.path(name))
        #expect(file.layout == .keras3Archive)
        #expect(file.keras3LayerNaming == .archiveConfig)
        #expect(file.layerNames == Self.table.map(\.name))  // config.json order = model.layers order
        #expect(file.kerasVersion == Self.expected["keras_version"] as? String)
        #expect(file.modelConfigJSON?.contains("\"Functional\"") == true)
        #expect(file.hdf5.fileSize > 10_000)
        try expectKerasWeights(file)
    }

    @Test func legacyH5FromKeras3() throws {
        let file = try KerasWeightsFile(path: Self.path("tiny-legacy.h5"))
        #expect(file.layout == .fullModel)
        #expect(file.kerasVersion == Self.expected["keras_version"] as? String)
        #expect(try file.weightNames(ofLayer: "res_bn1") == ["bn1/gamma", "bn1/beta", "bn1/moving_mean", "bn1/moving_variance"])
        try expectKerasWeights(file)
    }

    @Test func readsFromManyThreadsAtOnce() async throws {
        let file = try KerasWeightsFile(path: Self.path("tiny.keras"))
        let want = try file.weights(ofLayer: "dense_a")
        try await withThrowingTaskGroup(of: [WeightArray].self) { group in
            for _ in 0..<8 { group.addTask { try file.weights(ofLayer: "dense_a") } }
            for try await got in group { #expect(got == want) }
        }
    }

    // MARK: - Bad files: one clear sentence naming the file

    func expectError(_ name: String, table: [(path: String, name: String)]? = nil, _ phrases: String...,
                     sourceLocation: SourceLocation = #_sourceLocation) -> KerasFormatError? {
        let path = Self.path(name)
        let error = formatError { try KerasWeightsFile(path: path, keras3LayerTable: table) }
        guard let error else {
            Issue.record("\(name) opened without error", sourceLocation: sourceLocation)
            return nil
        }
        let message = error.description
        #expect(message.contains(path), "message does not name the file: \(message)", sourceLocation: sourceLocation)
        #expect(message.hasSuffix(".") && !message.contains("\n"), "\(message)", sourceLocation: sourceLocation)
        for phrase in phrases {
            #expect(message.contains(phrase), "'\(phrase)' missing from: \(message)", sourceLocation: sourceLocation)
        }
        return error
    }

    @Test func truncatedArchive() {
        guard case .kerasArchiveUnreadable? = expectError("truncated.keras", "cannot be read as a zip file") else {
            Issue.record("expected kerasArchiveUnreadable"); return
        }
    }

    @Test func notAZip() {
        let error = expectError("not-a-zip.keras", "cannot be read as a zip file", "neither the zip nor the HDF5 signature")
        #expect(error == .kerasArchiveUnreadable(path: Self.path("not-a-zip.keras"), detail: "it has neither the zip nor the HDF5 signature"))
    }

    @Test(arguments: [("no-config.keras", "config.json"), ("no-weights.keras", "model.weights.h5")])
    func missingMember(_ name: String, _ member: String) {
        let error = expectError(name, "has no \(member)")
        #expect(error == .kerasArchiveMemberMissing(path: Self.path(name), member: member))
    }

    @Test func configNotJSON() {
        let error = expectError("config-not-json.keras", "unusable config.json", "not JSON")
        #expect(error == .kerasArchiveConfigInvalid(path: Self.path("config-not-json.keras"), detail: "it is not JSON"))
    }

    @Test func weightsMemberNotHDF5() {
        guard case .kerasArchiveUnreadable? = expectError("weights-not-hdf5.keras", "model.weights.h5 is not an HDF5 file") else {
            Issue.record("expected kerasArchiveUnreadable"); return
        }
    }

    @Test func configOfAnotherModel() {
        guard case .keras3StructureMismatch? = expectError("config-mismatch.keras", "config.json lists 10 layers",
                                                           "9 layers/ groups", "missing 'layers/dense_2'") else {
            Issue.record("expected keras3StructureMismatch"); return
        }
    }

    @Test func crcMismatch() {
        guard case .kerasArchiveUnreadable? = expectError("crc-mismatch.keras", "reading model.weights.h5 failed", "CRC") else {
            Issue.record("expected kerasArchiveUnreadable"); return
        }
    }

    @Test func countersDoNotMatchTheTable() {
        guard case .keras3StructureMismatch? = expectError("renamed-group.weights.h5", table: Self.table,
                                                           "the layer table lists 9 layers", "missing 'layers/dense_1'",
                                                           "unexpected 'layers/dense_7'") else {
            Issue.record("expected keras3StructureMismatch"); return
        }
    }

    @Test func tableOfAnotherModel() {
        let table = Self.table.dropLast().map { $0 }
        guard case .keras3StructureMismatch? = expectError("tiny-noattrs.weights.h5", table: table, "lists 8 layers") else {
            Issue.record("expected keras3StructureMismatch"); return
        }
    }

    @Test func someNamesMissing() {
        guard case .keras3StructureMismatch? = expectError("partial-names.weights.h5", "8 of its 9 layers/ groups have a vars 'name' attribute") else {
            Issue.record("expected keras3StructureMismatch"); return
        }
    }

    @Test func everyTruncationOfAnArchiveIsAClearError() throws {
        // Cut tiny.keras at many lengths: each gives a KerasFormatError, never a crash.
        let directory = try FormatFixtures.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.path("tiny.keras")))
        for length in stride(from: 1, to: data.count, by: 997) {
            let url = directory.appendingPathComponent("cut-\(length).keras")
            try data.prefix(length).write(to: url)
            let error = formatError { try KerasWeightsFile(path: url.path) }
            #expect(error != nil, "\(length) bytes opened")
            #expect(error?.description.contains(url.path) == true)
        }
    }
}
