import Foundation
import KerasFormat

/// One Keras layer fixture (`Tests/Fixtures/layers/<name>.h5`, made by
/// `tools/make_layer_fixtures.py`): a tiny Keras model saved with `save_weights`, plus group
/// `/fixture` holding the input(s) Keras was given and the output it produced.
public struct LayerFixture {
    public let name: String
    public let layerClass: String
    public let layerName: String
    /// `layer.get_config()` as parsed JSON.
    public let config: [String: Any]
    /// For multi-layer fixtures (Conv2D+BatchNormalization): each layer's name, class and config.
    public let layers: [(name: String, layerClass: String, config: [String: Any])]
    /// Inputs (one, or two for Add/Concatenate/Average), NHWC or (N, features).
    public let inputs: [(shape: [Int], values: [Float])]
    public let output: (shape: [Int], values: [Float])
    public let weights: KerasWeightsFile

    public init(url: URL) throws {
        name = url.deletingPathExtension().lastPathComponent
        let file = try HDF5File(path: url.path)
        weights = try KerasWeightsFile(path: url.path)
        layerClass = file.stringAttribute("layer_class", at: "/fixture") ?? ""
        layerName = file.stringAttribute("layer_name", at: "/fixture") ?? ""
        let json = file.stringAttribute("config", at: "/fixture") ?? "{}"
        config = (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]) ?? [:]
        let layersJSON = file.stringAttribute("layers", at: "/fixture") ?? "[]"
        let list = (try JSONSerialization.jsonObject(with: Data(layersJSON.utf8)) as? [[String: Any]]) ?? []
        layers = list.map { ($0["name"] as? String ?? "", $0["class"] as? String ?? "", $0["config"] as? [String: Any] ?? [:]) }
        if file.exists("/fixture/input") {
            inputs = [try file.readFloatDataset("/fixture/input")]
        } else {
            inputs = [try file.readFloatDataset("/fixture/input_0"), try file.readFloatDataset("/fixture/input_1")]
        }
        output = try file.readFloatDataset("/fixture/output")
    }

    /// Every fixture in the folder, sorted by name.
    public static func all() throws -> [LayerFixture] {
        let dir = RepositoryPaths.layerFixtures
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".h5") }.sorted()
        return try names.map { try LayerFixture(url: dir.appendingPathComponent($0)) }
    }

    /// The fixture's weight arrays of layer `layer` (default: the tested layer).
    public func weightArrays(_ layer: String? = nil) throws -> [WeightArray] {
        try weights.weights(ofLayer: layer ?? layerName)
    }
}

/// `max |a - b| <= 1e-5 * (1 + max |b|)`, the layer-parity tolerance; returns the error and bound.
public func layerParity(_ a: [Float], _ keras: [Float]) -> (ok: Bool, error: Float, bound: Float) {
    let scale = keras.map { abs($0) }.max() ?? 0
    let err = zip(a, keras).map { abs($0 - $1) }.max() ?? 0
    let bound = 1e-5 * (1 + scale)
    return (a.count == keras.count && err <= bound, err, bound)
}
