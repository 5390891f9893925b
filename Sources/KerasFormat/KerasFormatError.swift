/// Everything that can go wrong while opening or reading an HDF5 / Keras weights file.
///
/// Every case carries the path of the file as it was given, and `description` is one
/// sentence that names the file and the problem, fit to show to a user as is.
public enum KerasFormatError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Nothing exists at the path.
    case fileNotFound(path: String)
    /// Something exists at the path but cannot be read (a directory, no permission, ...).
    case fileUnreadable(path: String, reason: String)
    /// The file has zero bytes (for example an interrupted copy or download).
    case emptyFile(path: String)
    /// The file does not carry the HDF5 signature (a text file, an image, ...).
    case notHDF5(path: String)
    /// The file is a zip archive (signature `PK`), which is how Keras 3 writes `.keras` files:
    /// `HDF5File` cannot open it (`KerasWeightsFile` reads it as a `.keras` archive).
    case kerasArchive(path: String)
    /// The file is HDF5 in tf.keras 2.13-2.15's `.weights.h5` layout
    /// (`_layer_checkpoint_dependencies`), which cvrnet does not read.
    case keras3WeightsLayout(path: String)
    /// A `.keras` file that libzip cannot read as a zip archive (not a zip, truncated,
    /// damaged, a CRC mismatch); `detail` is what went wrong.
    case kerasArchiveUnreadable(path: String, detail: String)
    /// A `.keras` archive without `member` (`config.json` or `model.weights.h5`).
    case kerasArchiveMemberMissing(path: String, member: String)
    /// A `.keras` archive whose `config.json` is not a Keras 3 Functional config.
    case kerasArchiveConfigInvalid(path: String, detail: String)
    /// A Keras 3 `.weights.h5` that keeps no layer names (Keras 3.0-3.5 write no `name`
    /// attributes) and no layer table was given to map its `layers/...` groups.
    case keras3LayerNamesUnknown(path: String)
    /// The `layers/...` groups of a Keras 3 file do not match the layer list they were
    /// mapped with (the `.keras` config, the `name` attributes, or the built-in table).
    case keras3StructureMismatch(path: String, detail: String)
    /// The file is HDF5 but has no Keras 2 `layer_names` attribute; `missing` says what was looked for.
    case notKerasWeights(path: String, missing: String)
    /// The `layer_names` attribute lists a layer for which the file has no group.
    case layerGroupMissing(path: String, layer: String)
    /// The caller asked for a layer that the file does not list.
    case layerNotFound(path: String, layer: String)
    /// A layer's `weight_names` attribute lists a weight for which the file has no dataset.
    case weightMissing(path: String, layer: String, weight: String)
    /// The caller asked for a weight that the layer does not list; `available` is what it lists.
    case weightNotFound(path: String, layer: String, weight: String, available: [String])
    /// A general HDF5 look-up found no object at `object` (an HDF5 path inside the file).
    case objectNotFound(path: String, object: String)
    /// The object at `object` exists but is not a dataset (or not a group, where one was needed).
    case wrongObjectKind(path: String, object: String, expected: String)
    /// A dataset's element type is not a 16-, 32- or 64-bit float; `datatype` describes what it is.
    case unsupportedDatatype(path: String, dataset: String, datatype: String)
    /// A weight array holds a NaN or an infinity; `value` is "NaN", "+Inf" or "-Inf" and
    /// `index` the flat (row-major) index of the first such element.
    case nonFiniteValue(path: String, layer: String, weight: String, value: String, index: Int)
    /// The caller's buffer does not have exactly as many elements as the dataset.
    case bufferSizeMismatch(path: String, dataset: String, expected: Int, actual: Int)
    /// libhdf5 failed to open or read the file: it is truncated or damaged. `object` is the
    /// HDF5 path being read (nil while opening) and `detail` libhdf5's own description.
    case corruptFile(path: String, object: String?, detail: String)

    /// The path of the file concerned.
    public var path: String {
        switch self {
        case .fileNotFound(let path), .fileUnreadable(let path, _), .emptyFile(let path),
             .notHDF5(let path), .kerasArchive(let path), .keras3WeightsLayout(let path),
             .kerasArchiveUnreadable(let path, _), .kerasArchiveMemberMissing(let path, _),
             .kerasArchiveConfigInvalid(let path, _), .keras3LayerNamesUnknown(let path),
             .keras3StructureMismatch(let path, _),
             .notKerasWeights(let path, _), .layerGroupMissing(let path, _),
             .layerNotFound(let path, _), .weightMissing(let path, _, _),
             .weightNotFound(let path, _, _, _), .objectNotFound(let path, _),
             .wrongObjectKind(let path, _, _), .unsupportedDatatype(let path, _, _),
             .nonFiniteValue(let path, _, _, _, _), .bufferSizeMismatch(let path, _, _, _),
             .corruptFile(let path, _, _):
            return path
        }
    }

    /// One sentence naming the file and the problem, on one line: names read from the file
    /// are shown escaped and shortened (`UntrustedText`), and so is anything else.
    public var description: String {
        UntrustedText.escapingControlCharacters(sentence)
    }

    private var sentence: String {
        // Names and HDF5 paths come from the file itself.
        func q(_ name: String) -> String { UntrustedText.shown(name) }
        switch self {
        case .fileNotFound(let path):
            return "Weights file '\(path)' does not exist."
        case .fileUnreadable(let path, let reason):
            return "Weights file '\(path)' cannot be read: \(reason)."
        case .emptyFile(let path):
            return "Weights file '\(path)' is empty (0 bytes), so it holds no weights."
        case .notHDF5(let path):
            return "'\(path)' is not an HDF5 file (it lacks the HDF5 signature), so it cannot be a Keras .h5 weights file."
        case .kerasArchive(let path):
            return "'\(path)' is a zip archive (the Keras 3 .keras format), not an HDF5 file: open it as a Keras weights file, which reads .keras archives."
        case .keras3WeightsLayout(let path):
            return "'\(path)' uses the tf.keras 2.13-2.15 .weights.h5 layout (_layer_checkpoint_dependencies), which cvrnet does not read; re-save it with model.save_weights(\"x.h5\") or with Keras 3."
        case .kerasArchiveUnreadable(let path, let detail):
            return "Keras archive '\(path)' cannot be read as a zip file (\(detail)), so it is truncated, damaged or not a .keras file."
        case .kerasArchiveMemberMissing(let path, let member):
            return "Keras archive '\(path)' has no \(member), so it is not a complete Keras 3 .keras model file."
        case .kerasArchiveConfigInvalid(let path, let detail):
            return "Keras archive '\(path)' has an unusable config.json: \(detail)."
        case .keras3LayerNamesUnknown(let path):
            return "Keras 3 weights file '\(path)' keeps no layer names (written by Keras 3.0-3.5, no 'name' attributes on its vars groups) and no layer table was given to map its layers/... groups."
        case .keras3StructureMismatch(let path, let detail):
            return "Keras 3 weights file '\(path)' does not match its layer list: \(detail)."
        case .notKerasWeights(let path, let missing):
            return "'\(path)' is an HDF5 file but not a Keras weights file: \(missing)."
        case .layerGroupMissing(let path, let layer):
            return "Keras weights file '\(path)' lists layer '\(q(layer))' in layer_names but has no group for it, so the file is incomplete or damaged."
        case .layerNotFound(let path, let layer):
            return "Keras weights file '\(path)' has no layer named '\(q(layer))'."
        case .weightMissing(let path, let layer, let weight):
            return "Keras weights file '\(path)' lists weight '\(q(weight))' for layer '\(q(layer))' in weight_names but has no dataset for it, so the file is incomplete or damaged."
        case .weightNotFound(let path, let layer, let weight, let available):
            let list = available.isEmpty ? "it has no weights" : "it has " + available.map { "'\(q($0))'" }.joined(separator: ", ")
            return "Keras weights file '\(path)' has no weight '\(q(weight))' in layer '\(q(layer))' (\(list))."
        case .objectNotFound(let path, let object):
            return "HDF5 file '\(path)' has no object at '\(q(object))'."
        case .wrongObjectKind(let path, let object, let expected):
            return "The object at '\(q(object))' in HDF5 file '\(path)' is not a \(expected)."
        case .unsupportedDatatype(let path, let dataset, let datatype):
            return "Dataset '\(q(dataset))' in '\(path)' holds \(datatype) values, but only float16, float32 and float64 weights are supported."
        case .nonFiniteValue(let path, let layer, let weight, let value, let index):
            return "Keras weights file '\(path)' has \(value) in \(q(layer))/\(q(weight)) (element \(index)), so the weights are unusable (did training diverge?)."
        case .bufferSizeMismatch(let path, let dataset, let expected, let actual):
            return "Dataset '\(q(dataset))' in '\(path)' has \(expected) elements but the destination buffer has room for \(actual)."
        case .corruptFile(let path, let object, let detail):
            if let object {
                return "HDF5 file '\(path)' is truncated or corrupt: reading '\(q(object))' failed (\(detail))."
            }
            return "HDF5 file '\(path)' is truncated or corrupt: libhdf5 cannot open it (\(detail))."
        }
    }
}
