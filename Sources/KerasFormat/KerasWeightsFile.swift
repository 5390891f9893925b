import CHDF5

/// How a Keras 2 HDF5 file lays out its weights.
public enum KerasWeightsLayout: String, Sendable {
    /// Written by Keras 2 `save_weights(...h5)` or `ModelCheckpoint(save_weights_only=True)`:
    /// root attributes `layer_names`, `backend`, `keras_version`; one group per layer with
    /// an attribute `weight_names`.
    case weightsOnly
    /// Written by Keras 2 `model.save(...h5)`: the same tree under the group `model_weights`,
    /// plus the root attribute `model_config` (JSON of the whole graph).
    case fullModel
}

/// One weight array of a layer, as stored in the file.
public struct WeightArray: Sendable, Equatable {
    /// The entry of the layer's `weight_names`, verbatim (e.g. `"conv1_conv/kernel:0"`).
    /// It need not start with the layer name: a renamed layer keeps its variables' old names.
    public let name: String
    /// The HDF5 dimensions, in Keras order: conv kernel (H, W, in, out), depthwise kernel
    /// (H, W, in, multiplier), dense kernel (in, out), bias and batch-norm vectors (C).
    public let shape: [Int]
    /// The values in row-major order, converted to `Float`.
    public let values: [Float]

    /// Creates a weight array; `values.count` should equal the product of `shape`.
    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

/// A Keras 2 HDF5 weights file (`save_weights` `.h5`/`.hdf5`, or a full `model.save` `.h5`).
///
/// The structure (layer names, every layer's weight names, and the presence of every
/// dataset) is read and checked when the file is opened; the weight values are read on
/// demand and checked for NaN and infinity on every read. Instances are immutable and all
/// access to libhdf5 is serialized behind one process-wide lock, so one file may be read
/// from many threads at once.
public final class KerasWeightsFile: Sendable {
    /// The path the file was opened from, as given.
    public let path: String
    /// Which Keras 2 layout the file uses.
    public let layout: KerasWeightsLayout
    /// The `layer_names` attribute, in file order (Keras's internal layer order; resolve
    /// layers by name, never by position). Includes layers without weights.
    public let layerNames: [String]
    /// The `keras_version` attribute (of `model_weights` for full-model files, else of the root).
    public let kerasVersion: String?
    /// The `backend` attribute (of `model_weights` for full-model files, else of the root).
    public let backend: String?
    /// The root `model_config` attribute (JSON) of a full-model file; nil otherwise.
    public let modelConfigJSON: String?
    /// Every root attribute whose value is a single string (scalar or one-element array),
    /// including project attributes such as `cvrnet_reference_weights`.
    public let rootAttributes: [String: String]
    /// The underlying HDF5 file, for inspection beyond the Keras structure.
    public let hdf5: HDF5File

    /// The HDF5 path of the group holding the layer groups: "" (root) or "/model_weights".
    private let weightsRoot: String
    /// Every layer's `weight_names`, in file order.
    private let weightNamesByLayer: [String: [String]]

    /// Opens a Keras 2 weights file and checks its structure.
    ///
    /// - Throws: the errors of `HDF5File.init(path:)`; `.kerasArchive` or
    ///   `.keras3WeightsLayout` for Keras 3 files; `.notKerasWeights` for other HDF5 files;
    ///   `.layerGroupMissing` / `.weightMissing` when `layer_names` / `weight_names` name
    ///   something the file does not contain.
    public init(path: String) throws(KerasFormatError) {
        let file = try HDF5File(path: path)
        let structure = try HDF5Library.locked { () throws(KerasFormatError) -> Structure in
            try Self.unlockedReadStructure(of: file)
        }
        self.path = path
        self.hdf5 = file
        self.layout = structure.layout
        self.layerNames = structure.layerNames
        self.kerasVersion = structure.kerasVersion
        self.backend = structure.backend
        self.modelConfigJSON = structure.modelConfigJSON
        self.rootAttributes = structure.rootAttributes
        self.weightsRoot = structure.weightsRoot
        self.weightNamesByLayer = structure.weightNames
    }

    /// The `weight_names` of a layer, in file order (empty for layers without weights).
    ///
    /// - Throws: `.layerNotFound` if `layer_names` does not list the layer.
    public func weightNames(ofLayer layer: String) throws(KerasFormatError) -> [String] {
        guard let names = weightNamesByLayer[layer] else {
            throw .layerNotFound(path: path, layer: layer)
        }
        return names
    }

    /// The HDF5 path of a weight's dataset, e.g. `/model_weights/dense/dense/kernel:0`.
    ///
    /// - Throws: `.layerNotFound`, `.weightNotFound`.
    public func datasetPath(ofLayer layer: String, named name: String) throws(KerasFormatError) -> String {
        let names = try weightNames(ofLayer: layer)
        guard names.contains(name) else {
            throw .weightNotFound(path: path, layer: layer, weight: name, available: names)
        }
        return weightsRoot + "/" + layer + "/" + name
    }

    /// The shape of one weight, without reading its values (to size a buffer for `readWeight`).
    ///
    /// - Throws: `.layerNotFound`, `.weightNotFound`, `.corruptFile`.
    public func weightShape(ofLayer layer: String, named name: String) throws(KerasFormatError) -> [Int] {
        try hdf5.datasetShape(datasetPath(ofLayer: layer, named: name))
    }

    /// All weights of a layer, in `weight_names` order (empty for layers without weights).
    ///
    /// - Throws: `.layerNotFound`, `.unsupportedDatatype`, `.nonFiniteValue`, `.corruptFile`.
    public func weights(ofLayer layer: String) throws(KerasFormatError) -> [WeightArray] {
        var arrays: [WeightArray] = []
        for name in try weightNames(ofLayer: layer) {
            arrays.append(try weight(ofLayer: layer, named: name))
        }
        return arrays
    }

    /// One weight of a layer.
    ///
    /// - Throws: `.layerNotFound`, `.weightNotFound`, `.unsupportedDatatype`,
    ///   `.nonFiniteValue`, `.corruptFile`.
    public func weight(ofLayer layer: String, named name: String) throws(KerasFormatError) -> WeightArray {
        let datasetPath = try datasetPath(ofLayer: layer, named: name)
        let (shape, values) = try hdf5.readFloatDataset(datasetPath)
        try values.withUnsafeBufferPointer { buffer throws(KerasFormatError) in
            try checkFinite(buffer, layer: layer, weight: name)
        }
        return WeightArray(name: name, shape: shape, values: values)
    }

    /// Reads one weight straight into caller memory, converted to `Float`, with no
    /// intermediate copy.
    ///
    /// - Parameter buffer: must have exactly as many elements as the weight (see
    ///   `weightShape(ofLayer:named:)`). On error its contents are unspecified.
    /// - Returns: the weight's shape.
    /// - Throws: `.layerNotFound`, `.weightNotFound`, `.bufferSizeMismatch`,
    ///   `.unsupportedDatatype`, `.nonFiniteValue`, `.corruptFile`.
    @discardableResult
    public func readWeight(ofLayer layer: String, named name: String, into buffer: UnsafeMutableBufferPointer<Float>) throws(KerasFormatError) -> [Int] {
        let datasetPath = try datasetPath(ofLayer: layer, named: name)
        let shape = try hdf5.readFloatDataset(datasetPath, into: buffer)
        try checkFinite(UnsafeBufferPointer(buffer), layer: layer, weight: name)
        return shape
    }

    // MARK: - Private

    /// Throws `.nonFiniteValue` for the first NaN or infinity in `values`.
    private func checkFinite(_ values: UnsafeBufferPointer<Float>, layer: String, weight: String) throws(KerasFormatError) {
        guard let index = KerasFormat.firstNonFiniteIndex(values) else { return }
        let value = values[index]
        let text = value.isNaN ? "NaN" : (value < 0 ? "-Inf" : "+Inf")
        throw .nonFiniteValue(path: path, layer: layer, weight: weight, value: text, index: index)
    }

    /// What `init` learns from the file.
    private struct Structure: Sendable {
        var layout: KerasWeightsLayout
        var weightsRoot: String
        var layerNames: [String]
        var weightNames: [String: [String]]
        var kerasVersion: String?
        var backend: String?
        var modelConfigJSON: String?
        var rootAttributes: [String: String]
    }

    /// Reads and checks the Keras structure. Call only while holding HDF5Library's lock.
    private static func unlockedReadStructure(of file: HDF5File) throws(KerasFormatError) -> Structure {
        let path = file.path
        var rootAttributes: [String: String] = [:]
        for name in try file.unlockedAttributeNames(at: "/") {
            if let values = file.unlockedWithObject("/", { Self.unlockedKerasStrings(name, of: $0, chunked: false) }) ?? nil,
               values.count == 1 {
                rootAttributes[name] = values[0]
            }
        }

        let layout: KerasWeightsLayout
        let weightsRoot: String
        let layerNames: [String]
        if let names = file.unlockedWithObject("/", { Self.unlockedKerasStrings("layer_names", of: $0) }) ?? nil {
            layout = .weightsOnly
            weightsRoot = ""
            layerNames = names
        } else if file.unlockedObjectKind("/model_weights") == .group,
                  let names = file.unlockedWithObject("/model_weights", { Self.unlockedKerasStrings("layer_names", of: $0) }) ?? nil {
            layout = .fullModel
            weightsRoot = "/model_weights"
            layerNames = names
        } else {
            if Self.unlockedLooksLikeKeras3(file) {
                throw .keras3WeightsLayout(path: path)
            }
            let missing = file.unlockedObjectKind("/model_weights") == .group
                ? "no layer_names attribute at the root or on its model_weights group"
                : "no layer_names attribute at the root and no model_weights group"
            throw .notKerasWeights(path: path, missing: missing)
        }

        var weightNames: [String: [String]] = [:]
        for layer in layerNames {
            let groupPath = weightsRoot + "/" + layer
            guard file.unlockedObjectKind(groupPath) == .group else {
                throw .layerGroupMissing(path: path, layer: layer)
            }
            guard let names = file.unlockedWithObject(groupPath, { Self.unlockedKerasStrings("weight_names", of: $0) }) ?? nil else {
                throw .notKerasWeights(path: path, missing: "the group of layer '\(layer)' has no weight_names attribute")
            }
            for name in names where file.unlockedObjectKind(groupPath + "/" + name) != .dataset {
                throw .weightMissing(path: path, layer: layer, weight: name)
            }
            weightNames[layer] = names
        }

        func attribute(_ name: String) -> String? {
            let fromWeights = weightsRoot.isEmpty ? nil
                : (file.unlockedWithObject(weightsRoot) { Self.unlockedKerasStrings(name, of: $0, chunked: false) } ?? nil)
            return fromWeights?.first ?? rootAttributes[name]
        }
        return Structure(
            layout: layout, weightsRoot: weightsRoot, layerNames: layerNames, weightNames: weightNames,
            kerasVersion: attribute("keras_version"), backend: attribute("backend"),
            modelConfigJSON: layout == .fullModel ? rootAttributes["model_config"] : nil,
            rootAttributes: rootAttributes)
    }

    /// Reads a string-array attribute the way Keras's `load_attributes_from_hdf5_group` does:
    /// Keras splits an attribute too large for an HDF5 object header into `name0`, `name1`, ...
    private static func unlockedKerasStrings(_ name: String, of object: hid_t, chunked: Bool = true) -> [String]? {
        if let values = HDF5File.unlockedReadStringArrayAttribute(name, of: object) {
            return values
        }
        guard chunked else { return nil }
        var values: [String] = []
        var chunk = 0
        while let part = HDF5File.unlockedReadStringArrayAttribute("\(name)\(chunk)", of: object) {
            values += part
            chunk += 1
        }
        return chunk > 0 ? values : nil
    }

    /// Whether the file looks like Keras 3's `.weights.h5` (`layers/<name>/vars/<i>`, `vars`
    /// at the root) or tf.keras 2.13+'s `.weights.h5` (`_layer_checkpoint_dependencies`).
    private static func unlockedLooksLikeKeras3(_ file: HDF5File) -> Bool {
        if file.unlockedObjectKind("/_layer_checkpoint_dependencies") == .group { return true }
        guard file.unlockedObjectKind("/layers") == .group else { return false }
        if file.unlockedObjectKind("/vars") == .group { return true }
        guard let children = try? file.unlockedChildNames(ofGroup: "/layers") else { return false }
        return children.contains { file.unlockedObjectKind("/layers/\($0)/vars") == .group }
    }
}

extension KerasWeightsFile {
    /// The index of the first NaN or infinity in `values`, or nil if all are finite: the
    /// check every weight read goes through, for callers that produce arrays of their own.
    public static func firstNonFiniteIndex(_ values: UnsafeBufferPointer<Float>) -> Int? {
        KerasFormat.firstNonFiniteIndex(values)
    }
}

/// The index of the first NaN or infinity in `values`, or nil if all are finite.
///
/// Scans in blocks with a branch-free (vectorizable) test of the exponent bits, which are
/// all ones for NaN and infinity, then looks inside the first block that has one.
func firstNonFiniteIndex(_ values: UnsafeBufferPointer<Float>) -> Int? {
    let exponentMask: UInt32 = 0x7F80_0000
    let block = 1024
    var start = 0
    while start < values.count {
        let end = min(start + block, values.count)
        // Adding one to an all-ones exponent carries into the sign bit; nothing else does.
        var carry: UInt32 = 0
        for index in start..<end {
            carry |= ((values[index].bitPattern & exponentMask) &+ 0x0080_0000) & 0x8000_0000
        }
        if carry != 0 {
            return (start..<end).first { !values[$0].isFinite }
        }
        start = end
    }
    return nil
}

extension HDF5File {
    /// A Keras string-array attribute (`layer_names`, `weight_names`), also when Keras split a
    /// long one into `name0`, `name1`, ... (Keras 2 does so past HDF5's 64 KiB header limit).
    /// For walking files that `KerasWeightsFile` refuses to open.
    public func kerasStringArrayAttribute(_ name: String, at objectPath: String) -> [String]? {
        if let values = stringArrayAttribute(name, at: objectPath) { return values }
        var values: [String] = []
        var chunk = 0
        while let part = stringArrayAttribute("\(name)\(chunk)", at: objectPath) {
            values += part
            chunk += 1
        }
        return chunk > 0 ? values : nil
    }
}
