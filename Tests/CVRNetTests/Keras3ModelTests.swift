@testable import CVRNet
import Foundation
import KerasFormat
import TestSupport
import Testing

/// CVR-Net from Keras 3 files against Keras 3 itself: the reference files of
/// `tools/make_keras3_reference.py` (2-class `.weights.h5` with and without `name` attributes
/// and with optimizer state, 3-class `.keras`, 4-class Keras 3 legacy `.h5`), each read back by
/// Keras 3 to make its golden outputs. Same checks and tolerances as the Keras 2 files
/// (`KerasParityTests`): probabilities within 1e-4 absolute, same top class, tapped maps within
/// 1e-4 relative L2. The weights are the same float32 values, so the only differences are the
/// order of float32 sums (GEMM blocking, Winograd, folded BatchNorm) as for Keras 2 files.
@Suite(.serialized)
struct Keras3ParityTests {
    @Test(arguments: RepositoryPaths.keras3ReferenceFiles)
    func predictionsMatchKeras3(_ file: String) throws {
        try KerasParityTests.checkPredictions(file)
    }

    @Test(arguments: RepositoryPaths.keras3ReferenceFiles)
    func tappedFeatureMapsMatchKeras3(_ file: String) throws {
        try KerasParityTests.checkTaps(file)
    }

    @Test func eachFileIsReadTheWayItsKerasWroteIt() throws {
        let table = CVRNetModel.keras3LayerTable
        func open(_ name: String) throws -> KerasWeightsFile {
            let url = RepositoryPaths.weights.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw GeneratedFileMissing(message: RepositoryPaths.missingGeneratedFile(url))
            }
            return try KerasWeightsFile(path: url.path, keras3LayerTable: table)
        }
        #expect(try open("reference-2class-keras3.weights.h5").keras3LayerNaming == .nameAttributes)
        #expect(try open("reference-2class-keras3-noattrs.weights.h5").keras3LayerNaming == .layerTable)
        let compiled = try open("reference-2class-keras3-compiled.weights.h5")
        #expect(compiled.keras3LayerNaming == .nameAttributes)
        #expect(compiled.hdf5.isGroup("/optimizer/vars"))
        let archive = try open("reference-3class-keras3.keras")
        #expect(archive.keras3LayerNaming == .archiveConfig)
        #expect(archive.kerasVersion?.hasPrefix("3.") == true)
        let legacy = try open("reference-4class-keras3-legacy.h5")
        #expect(legacy.layout == .fullModel)
        #expect(legacy.kerasVersion?.hasPrefix("3.") == true)
    }

    /// The built-in table (Sources/CVRNet/Loading/Keras3LayerTable.swift) is what Keras 3
    /// writes: every entry's group carries that layer's name in the Keras 3.15 file, and the
    /// `.keras` archive's config.json gives the same groups in the same order.
    @Test func layerTableMatchesKeras3() throws {
        let table = CVRNetModel.keras3LayerTable
        #expect(table.count == 333)
        let url = RepositoryPaths.weights.appendingPathComponent("reference-2class-keras3.weights.h5")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw GeneratedFileMissing(message: RepositoryPaths.missingGeneratedFile(url))
        }
        let named = try KerasWeightsFile(path: url.path)
        #expect(named.layerNames.count == table.count)
        for entry in table {
            #expect(named.keras3GroupPaths[entry.name] == "layers/" + entry.path, "\(entry)")
        }
        let archive = try KerasWeightsFile(path: RepositoryPaths.weights.appendingPathComponent("reference-3class-keras3.keras").path)
        #expect(archive.layerNames == table.map(\.name))
        #expect(archive.layerNames.map { archive.keras3GroupPaths[$0] } == table.map { "layers/" + $0.path })
    }
}

/// Keras 3 files that are not a usable CVR-Net: one line naming the file and the problem.
@Suite struct Keras3ModelLoadErrorTests {
    static func fixture(_ name: String) -> String {
        RepositoryPaths.fixtures.appendingPathComponent("keras3").appendingPathComponent(name).path
    }

    func loadError(_ path: String) -> CVRNetError? {
        do {
            _ = try CVRNetModel(weightsPath: path)
            Issue.record("\(path) loaded but must fail")
            return nil
        } catch {
            #expect(error.description.contains(path), "\(error.description)")
            #expect(!error.description.contains("\n"))
            return error
        }
    }

    @Test func archiveOfAnotherArchitecture() {
        let path = Self.fixture("tiny.keras")
        // tiny's res_conv1 passes for the Keras 2.3.1 scheme; then the Xception layers are missing.
        guard case .autoNamedLayers? = loadError(path) else { Issue.record("expected autoNamedLayers"); return }
    }

    @Test func weightsWithNamesOfAnotherArchitecture() {
        guard case .autoNamedLayers? = loadError(Self.fixture("tiny.weights.h5")) else { Issue.record("expected autoNamedLayers"); return }
    }

    @Test func unnamedWeightsOfAnotherArchitecture() {
        let path = Self.fixture("tiny-noattrs.weights.h5")
        let error = loadError(path)
        guard case .weightsFile(.keras3StructureMismatch)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(error?.description.contains("the layer table lists 333 layers, the file has 9 layers/ groups") == true)
    }

    @Test(arguments: ["truncated.keras", "not-a-zip.keras", "no-config.keras", "no-weights.keras", "crc-mismatch.keras",
                      "config-not-json.keras", "weights-not-hdf5.keras", "config-mismatch.keras", "partial-names.weights.h5"])
    func badFiles(_ name: String) {
        guard case .weightsFile? = loadError(Self.fixture(name)) else { Issue.record("expected a weights-file error"); return }
    }
}
