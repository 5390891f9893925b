import CHDF5

/// How a Keras weights file lays out its weights.
public enum KerasWeightsLayout: String, Sendable {
    /// Written by Keras 2 `save_weights(...h5)` or `ModelCheckpoint(save_weights_only=True)`:
    /// root attributes `layer_names`, `backend`, `keras_version`; one group per layer with
    /// an attribute `weight_names`.
    case weightsOnly
    /// Written by Keras 2 `model.save(...h5)`: the same tree under the group `model_weights`,
    /// plus the root attribute `model_config` (JSON of the whole graph).
    /// (Keras 3's `model.save("x.h5")` writes this layout too, with dataset names without `:0`.)
    case fullModel
    /// Written by Keras 3 `save_weights("x.weights.h5")` or `ModelCheckpoint(..., save_weights_only=True)`:
    /// one group per layer at `layers/<snake_case(class name)>[_k]`, its arrays at `vars/0`,
    /// `vars/1`, ...; Keras 3.6+ put the layer's name in the `vars` group's attribute `name`.
    case keras3Weights
    /// Written by Keras 3 `model.save("x.keras")`: a zip of `config.json` (the graph, whose
    /// layer list gives the layer of each `layers/...` group) and `model.weights.h5`.
    case keras3Archive
}

/// How the layers of a Keras 3 file were given their names.
public enum Keras3LayerNaming: String, Sendable {
    /// From the `.keras` archive's `config.json` (its layer list is `model.layers` order).
    case archiveConfig
    /// From the `name` attribute of each `vars` group (Keras 3.6 and later).
    case nameAttributes
    /// From a layer table the caller supplied (Keras 3.0-3.5 files keep no names).
    case layerTable
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

/// A Keras weights file: Keras 2 HDF5 (`save_weights` `.h5`/`.hdf5`, or a full `model.save`
/// `.h5`, also as Keras 3 writes it), Keras 3 `.weights.h5`, or a Keras 3 `.keras` archive.
///
/// Keras 3 files store each layer's arrays under `layers/<snake_case(class)>[_k]/vars/<i>`
/// rather than under its name; they are presented like Keras 2 files: `layerNames` are the
/// model's layer names and a layer's weight names are `vars/0`, `vars/1`, ... (see
/// `keras3LayerNaming` for where the names came from).
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
    /// The underlying HDF5 file, for inspection beyond the Keras structure (for a `.keras`
    /// archive: its `model.weights.h5` member, opened in memory).
    public let hdf5: HDF5File
    /// For Keras 3 files: where the layer names came from; nil for the Keras 2 layout.
    public let keras3LayerNaming: Keras3LayerNaming?
    /// For Keras 3 files: each layer's group, e.g. `"res_conv1_conv": "layers/conv2d"`.
    public let keras3GroupPaths: [String: String]

    /// Every layer's group path (`/model_weights/<layer>`, `/layers/conv2d_3`, ...).
    private let groupPathByLayer: [String: String]
    /// Every layer's `weight_names`, in file order.
    private let weightNamesByLayer: [String: [String]]
    /// What `openCollectingProblems` went on past.
    private let structureProblems: [KerasFormatError]

    /// Opens a Keras weights file (any layout above) and checks its structure.
    ///
    /// - Parameter keras3LayerTable: the model's layers in Keras 3 `model.layers` order, each
    ///   with its `layers/...` group path (without the `layers/` prefix); used only for a Keras 3
    ///   `.weights.h5` without `name` attributes (Keras 3.0-3.5), whose groups must then be
    ///   exactly the table's.
    /// - Throws: the errors of `HDF5File.init(path:)` (except `.kerasArchive`: archives are
    ///   read); `.kerasArchiveUnreadable`, `.kerasArchiveMemberMissing`,
    ///   `.kerasArchiveConfigInvalid` for bad `.keras` files; `.keras3LayerNamesUnknown`,
    ///   `.keras3StructureMismatch` for Keras 3 files that cannot be mapped;
    ///   `.keras3WeightsLayout` for tf.keras 2.13-2.15 `.weights.h5`; `.notKerasWeights` for
    ///   other HDF5 files; `.layerGroupMissing` / `.weightMissing` when `layer_names` /
    ///   `weight_names` name something the file does not contain.
    public convenience init(path: String, keras3LayerTable: [(path: String, name: String)]? = nil) throws(KerasFormatError) {
        try self.init(path: path, keras3LayerTable: keras3LayerTable, collectingProblems: false)
    }

    /// Opens a file as `init` does, but goes on past the problems of a Keras 2 layer tree that
    /// `init` stops at (a layer's group, its `weight_names` attribute or one of its datasets
    /// missing): what is missing is left out of the file's layers and weights, and every such
    /// problem is returned, in file order. The file is nil when it cannot be opened as Keras
    /// weights at all; the one problem then says why.
    public static func openCollectingProblems(path: String, keras3LayerTable: [(path: String, name: String)]? = nil)
        -> (file: KerasWeightsFile?, problems: [KerasFormatError]) {
        do {
            let file = try KerasWeightsFile(path: path, keras3LayerTable: keras3LayerTable, collectingProblems: true)
            return (file, file.structureProblems)
        } catch {
            return (nil, [error])
        }
    }

    private init(path: String, keras3LayerTable: [(path: String, name: String)]?, collectingProblems: Bool) throws(KerasFormatError) {
        let (file, archive) = try Self.open(path)
        let table = keras3LayerTable.map { $0.map { Keras3Layer(path: $0.path, name: $0.name) } }
        let structure = try HDF5Library.locked { () throws(KerasFormatError) -> Structure in
            try Self.unlockedReadStructure(of: file, archive: archive, table: table, collectingProblems: collectingProblems)
        }
        self.structureProblems = structure.problems
        self.path = path
        self.hdf5 = file
        self.layout = structure.layout
        self.layerNames = structure.layerNames
        self.kerasVersion = structure.kerasVersion
        self.backend = structure.backend
        self.modelConfigJSON = structure.modelConfigJSON
        self.rootAttributes = structure.rootAttributes
        self.groupPathByLayer = structure.groupPaths
        self.weightNamesByLayer = structure.weightNames
        self.keras3LayerNaming = structure.keras3Naming
        self.keras3GroupPaths = structure.keras3Naming == nil ? [:]
            : structure.groupPaths.mapValues { String($0.dropFirst()) }
    }

    /// Opens the HDF5 file at `path`, or the weights member of the `.keras` archive there.
    private static func open(_ path: String) throws(KerasFormatError) -> (HDF5File, Keras3ArchiveModel?) {
        do {
            return (try HDF5File(path: path), nil)
        } catch {
            if case .notHDF5 = error, path.lowercased().hasSuffix(".keras") {
                throw .kerasArchiveUnreadable(path: path, detail: "it has neither the zip nor the HDF5 signature")
            }
            guard case .kerasArchive = error else { throw error }
        }
        let size = try FileProbe(path: path).size
        let archive = try KerasArchive(path: path, fileSize: size)
        let model: Keras3ArchiveModel
        do {
            model = try Keras3ArchiveModel(path: path, config: archive.configJSON, metadata: archive.metadataJSON)
        } catch {
            // HDF5File(image:) owns the weights member from here on; before it, this does.
            archive.weightsImage.deallocate()
            throw error
        }
        let file: HDF5File
        do {
            file = try HDF5File(image: archive.weightsImage, path: path)
        } catch {
            if case .notHDF5 = error {
                throw .kerasArchiveUnreadable(path: path, detail: "its model.weights.h5 is not an HDF5 file")
            }
            throw error
        }
        return (file, model)
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
        guard names.contains(name), let group = groupPathByLayer[layer] else {
            throw .weightNotFound(path: path, layer: layer, weight: name, available: names)
        }
        return group + "/" + name
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
    struct Structure: Sendable {
        var layout: KerasWeightsLayout
        var groupPaths: [String: String]
        var keras3Naming: Keras3LayerNaming? = nil
        var layerNames: [String]
        var weightNames: [String: [String]]
        var kerasVersion: String?
        var backend: String?
        var modelConfigJSON: String?
        var rootAttributes: [String: String]
        /// Problems of a Keras 2 layer tree that were gone past (`collectingProblems` only).
        var problems: [KerasFormatError] = []
    }

    /// Reads and checks the Keras structure. Call only while holding HDF5Library's lock.
    /// With `collectingProblems`, a Keras 2 layer's missing group, `weight_names` or dataset is
    /// recorded and left out instead of thrown.
    private static func unlockedReadStructure(of file: HDF5File, archive: Keras3ArchiveModel?, table: [Keras3Layer]?,
                                              collectingProblems: Bool) throws(KerasFormatError) -> Structure {
        let path = file.path
        var rootAttributes: [String: String] = [:]
        for name in try file.unlockedAttributeNames(at: "/") {
            if let values = file.unlockedWithObject("/", { Self.unlockedKerasStrings(name, of: $0, chunked: false) }) ?? nil,
               values.count == 1 {
                rootAttributes[name] = values[0]
            }
        }

        if let archive {
            guard file.unlockedObjectKind("/layers") == .group else {
                throw .keras3StructureMismatch(path: path, detail: "its model.weights.h5 has no layers group")
            }
            return try unlockedReadKeras3(file, layers: archive.layers, naming: .archiveConfig,
                                          rootAttributes: rootAttributes, archive: archive)
        }
        if file.unlockedObjectKind("/_layer_checkpoint_dependencies") == .group {
            throw .keras3WeightsLayout(path: path)
        }
        if file.unlockedObjectKind("/layers") == .group,
           file.unlockedWithObject("/", { Self.unlockedKerasStrings("layer_names", of: $0) }) ?? nil == nil {
            let (layers, naming) = try unlockedKeras3Names(file, table: table)
            return try unlockedReadKeras3(file, layers: layers, naming: naming, rootAttributes: rootAttributes, archive: nil)
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
            let missing = file.unlockedObjectKind("/model_weights") == .group
                ? "no layer_names attribute at the root or on its model_weights group"
                : "no layer_names attribute at the root and no model_weights group"
            throw .notKerasWeights(path: path, missing: missing)
        }

        var weightNames: [String: [String]] = [:]
        var groupPaths: [String: String] = [:]
        var problems: [KerasFormatError] = []
        func problem(_ error: KerasFormatError) throws(KerasFormatError) {
            guard collectingProblems else { throw error }
            problems.append(error)
        }
        for layer in layerNames {
            let groupPath = weightsRoot + "/" + layer
            guard file.unlockedObjectKind(groupPath) == .group else {
                try problem(.layerGroupMissing(path: path, layer: layer))
                continue
            }
            guard let names = file.unlockedWithObject(groupPath, { Self.unlockedKerasStrings("weight_names", of: $0) }) ?? nil else {
                try problem(.notKerasWeights(path: path, missing: "the group of layer '\(layer)' has no weight_names attribute"))
                continue
            }
            var present: [String] = []
            for name in names {
                if file.unlockedObjectKind(groupPath + "/" + name) == .dataset {
                    present.append(name)
                } else {
                    try problem(.weightMissing(path: path, layer: layer, weight: name))
                }
            }
            weightNames[layer] = present
            groupPaths[layer] = groupPath
        }

        func attribute(_ name: String) -> String? {
            let fromWeights = weightsRoot.isEmpty ? nil
                : (file.unlockedWithObject(weightsRoot) { Self.unlockedKerasStrings(name, of: $0, chunked: false) } ?? nil)
            return fromWeights?.first ?? rootAttributes[name]
        }
        return Structure(
            layout: layout, groupPaths: groupPaths, layerNames: layerNames, weightNames: weightNames,
            kerasVersion: attribute("keras_version"), backend: attribute("backend"),
            modelConfigJSON: layout == .fullModel ? rootAttributes["model_config"] : nil,
            rootAttributes: rootAttributes, problems: problems)
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
