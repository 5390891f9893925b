import Foundation

/// The committed record of what Keras's `load_img` + `img_to_array` gives for each sample image
/// (`Tests/Fixtures/sample-images/keras-inputs.json`, made by `tools/make_sample_images.py`).
public struct KerasInputs: Decodable {
    public struct Image: Decodable {
        public let file: String
        public let source_size: [Int]
        public let pil_mode: String
        public let input_fnv1a64: String
        public let input_sum: Double
        public let channel_sums: [Double]
    }
    public let images: [Image]

    public static func load() throws -> KerasInputs {
        let url = RepositoryPaths.sampleImages.appendingPathComponent("keras-inputs.json")
        return try JSONDecoder().decode(KerasInputs.self, from: Data(contentsOf: url))
    }
}

/// Keras's predictions for one reference weights file on every sample image
/// (`weights/golden/<stem>.json`, made by `tools/make_reference_weights.py`).
public struct KerasGolden: Decodable {
    public struct TapStatistics: Decodable {
        public let shape: [Int]
        public let mean: Double
        public let std: Double
        public let min: Double
        public let max: Double
        public let l2: Double
    }
    public struct Image: Decodable {
        public let image: String
        public let input_fnv1a64: String
        public let probabilities: [Float]
        public let heads: [[Float]]
        public let taps: [String: TapStatistics]
        public let taps_file: String?
    }
    public let weights_file: String
    public let num_classes: Int
    public let naming: String
    public let layout: String
    public let images: [Image]

    /// Loads the golden file of `weightsFile`; throws a message naming tools/prepare.sh if absent.
    public static func load(weightsFile: String) throws -> KerasGolden {
        let stem = (weightsFile as NSString).deletingPathExtension
        let url = RepositoryPaths.golden.appendingPathComponent(stem + ".json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw GeneratedFileMissing(message: RepositoryPaths.missingGeneratedFile(url))
        }
        return try JSONDecoder().decode(KerasGolden.self, from: Data(contentsOf: url))
    }

    /// Reads a raw little-endian float32 file (tap dumps).
    public static func readFloats(_ relativePath: String) throws -> [Float] {
        let data = try Data(contentsOf: RepositoryPaths.root.appendingPathComponent(relativePath))
        return data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}

/// A generated file (reference weights, golden outputs) is absent.
public struct GeneratedFileMissing: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
