import Foundation
import Testing
import TestSupport

/// `inspect` and `classify` on the Keras 3 reference files and on a Keras 3 file that is not a
/// CVR-Net. Each run also goes through the child-process safety check (`check-weights`),
/// which reads .keras archives and Keras 3 .weights.h5 the same way.
@Suite("cvrnet on Keras 3 files")
struct Keras3CommandTests {
    static let formats: [(String, String, String)] = [
        ("reference-2class-keras3.weights.h5", "keras3-weights", "nameAttributes"),
        ("reference-2class-keras3-noattrs.weights.h5", "keras3-weights", "layerTable"),
        ("reference-3class-keras3.keras", "keras3-archive", "archiveConfig"),
    ]

    @Test("inspect --json: format, where the layer names came from, classes, parameters", arguments: formats)
    func inspectJSON(_ name: String, _ format: String, _ naming: String) throws {
        let weights = try Files.referenceWeights(name)
        let result = try CLI.run(["inspect", "--json", weights], environment: ["XDG_CACHE_HOME": try Files.temporaryDirectory().path])
        #expect(result.status == 0, "\(result.summary)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["format"] as? String == format)
        #expect(object["keras3_layer_names"] as? String == naming)
        #expect(object["naming_scheme"] as? String == "tf.keras")
        let classes = try #require(object["class_count"] as? Int)
        #expect(name.contains("\(classes)class"))
        let parameters = try #require(object["parameters"] as? [String: Any])
        #expect(parameters["total"] as? Int == InspectCommandTests.expectedParameters(classes: classes))
        #expect(object["reference_weights"] as? Bool == true)
    }

    @Test("inspect: the Keras 3 legacy .h5 is named as such")
    func inspectLegacy() throws {
        let weights = try Files.referenceWeights("reference-4class-keras3-legacy.h5")
        let result = try CLI.run(["inspect", weights])
        #expect(result.status == 0, "\(result.summary)")
        #expect(result.stdout.contains("Keras 3 legacy HDF5, full model"))
        #expect(result.stdout.contains("keras_version      3."))
    }

    @Test("classify with a .keras archive matches Keras 3's golden top class")
    func classifyArchive() throws {
        let weights = try Files.referenceWeights("reference-3class-keras3.keras")
        let golden = try KerasGolden.load(weightsFile: "reference-3class-keras3.keras")
        let entry = try #require(golden.images.first)
        let result = try CLI.run(["classify", "--weights", weights, RepositoryPaths.root.appendingPathComponent(entry.image).path])
        #expect(result.status == 0, "\(result.summary)")
        let labels = ["CPN", "NCP", "NOR"]
        let top = entry.probabilities.indices.max { entry.probabilities[$0] < entry.probabilities[$1] }!
        #expect(result.stdout.split(separator: "\t").dropFirst().first.map(String.init) == labels[top], "\(result.stdout)")
    }

    @Test("a truncated .keras archive: exit 2, one line naming the file")
    func inspectOtherModel() throws {
        let path = RepositoryPaths.fixtures.appendingPathComponent("keras3/truncated.keras").path
        let result = try CLI.run(["inspect", path])
        #expect(result.status == 2, "\(result.summary)")
        #expect(result.stderr.contains(path) && result.stderr.contains("cannot be read as a zip file"), "\(result.summary)")
    }
}
