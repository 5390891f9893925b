import Foundation

/// Where the repository's fixtures and generated files are, found from this source file.
public enum RepositoryPaths {
    /// The repository root (three levels above `Tests/TestSupport/RepositoryPaths.swift`).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var fixtures: URL { root.appendingPathComponent("Tests/Fixtures") }
    public static var sampleImages: URL { fixtures.appendingPathComponent("sample-images") }
    public static var layerFixtures: URL { fixtures.appendingPathComponent("layers") }
    public static var weights: URL { root.appendingPathComponent("weights") }
    public static var golden: URL { weights.appendingPathComponent("golden") }

    /// The four reference weights files `tools/make_reference_weights.py` writes.
    public static let referenceWeightsFiles = [
        "reference-2class-keras231-weights.hdf5",
        "reference-2class-tfkeras-weights.hdf5",
        "reference-3class-tfkeras-model.h5",
        "reference-4class-keras231-model.h5",
    ]

    /// The Keras 3 reference files `tools/make_keras3_reference.py` writes (golden outputs by Keras 3).
    public static let keras3ReferenceFiles = [
        "reference-2class-keras3.weights.h5",
        "reference-2class-keras3-noattrs.weights.h5",
        "reference-2class-keras3-compiled.weights.h5",
        "reference-3class-keras3.keras",
        "reference-4class-keras3-legacy.h5",
    ]

    /// The message tests fail with when generated files are missing (they never skip silently).
    public static func missingGeneratedFile(_ url: URL) -> String {
        "\(url.path) is missing: run tools/prepare.sh (it makes the reference weights and Keras golden outputs)"
    }
}
