import Foundation

/// Keras's Grad-CAM maps for one reference weights file (`weights/golden/<stem>.gradcam.json`,
/// its `.gradcam/*.f32` files and the float64 head maps `<stem>.gradcam.f64`, made by
/// `tools/make_gradcam_golden.py`).
public struct KerasGradCAMGolden: Decodable {
    public struct Entry: Decodable {
        public let image: String
        public let input_fnv1a64: String
        public let class_index: Int
        public let is_top_class: Bool
        public let probabilities: [Float]
        public let head_logits: [[Float]]
        public let head_map_shapes: [[Int]]
        public let maps_file: String
    }
    public let weights_file: String
    public let num_classes: Int
    public let entries: [Entry]
    /// The five head maps of every entry, in order, from the model run in float64.
    public let maps_file_f64: String

    /// Loads the golden file of `weightsFile`; throws a message naming tools/prepare.sh if absent.
    public static func load(weightsFile: String) throws -> KerasGradCAMGolden {
        let stem = (weightsFile as NSString).deletingPathExtension
        let url = RepositoryPaths.golden.appendingPathComponent(stem + ".gradcam.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw GeneratedFileMissing(message: RepositoryPaths.missingGeneratedFile(url))
        }
        return try JSONDecoder().decode(KerasGradCAMGolden.self, from: Data(contentsOf: url))
    }

    /// The five head maps and the combined 224x224 map of `entry`.
    public static func maps(_ entry: Entry) throws -> (heads: [[Float]], combined: [Float]) {
        let all = try KerasGolden.readFloats(entry.maps_file)
        var heads: [[Float]] = []
        var offset = 0
        for shape in entry.head_map_shapes {
            let n = shape.reduce(1, *)
            heads.append(Array(all[offset..<offset + n]))
            offset += n
        }
        return (heads, Array(all[offset...]))
    }

    /// The five head maps of every entry from Keras run in float64, in entry order.
    public func float64Maps() throws -> [[[Double]]] {
        let data = try Data(contentsOf: RepositoryPaths.root.appendingPathComponent(maps_file_f64))
        let all = data.withUnsafeBytes { raw in
            (0..<data.count / 8).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
        }
        let expected = entries.reduce(0) { $0 + $1.head_map_shapes.reduce(0) { $0 + $1.reduce(1, *) } }
        guard all.count == expected else {
            throw GeneratedFileMissing(message: "\(maps_file_f64): \(all.count) values, expected \(expected); rerun tools/prepare.sh --force")
        }
        var offset = 0
        let maps = entries.map { entry in
            entry.head_map_shapes.map { shape in
                let n = shape.reduce(1, *)
                defer { offset += n }
                return Array(all[offset..<offset + n])
            }
        }
        return maps
    }
}
