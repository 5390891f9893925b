import Foundation

/// One layer of a Keras 3 model as its weights file stores it: the group under `layers/`
/// (`conv2d_3`) and the layer's name (`res_conv2_block1_1_conv`).
struct Keras3Layer: Sendable, Equatable {
    var path: String
    var name: String
}

/// Keras 3's `naming.to_snake_case` (keras/src/utils/naming.py), which names a layer's group
/// in a weights file after its class: drop non-word characters, then
/// `re.sub("(.)([A-Z][a-z]+)", r"\1_\2")`, then `re.sub("([a-z])([A-Z])", r"\1_\2")`, lower-cased.
/// `Conv2D` -> `conv2d`, `BatchNormalization` -> `batch_normalization`,
/// `GlobalAveragePooling2D` -> `global_average_pooling2d`, `InputLayer` -> `input_layer`.
func keras3SnakeCase(_ className: String) -> String {
    let word = Array(className.unicodeScalars.filter { $0 == "_" || $0.properties.isAlphabetic || $0.properties.numericType != nil })
    func isUpper(_ c: Unicode.Scalar) -> Bool { c.value >= 65 && c.value <= 90 }
    func isLower(_ c: Unicode.Scalar) -> Bool { c.value >= 97 && c.value <= 122 }
    // Both substitutions scan left to right over non-overlapping matches, as re.sub does.
    var first: [Unicode.Scalar] = []
    var i = 0
    while i < word.count {
        if i + 2 < word.count, isUpper(word[i + 1]), isLower(word[i + 2]) {
            first += [word[i], "_", word[i + 1]]
            i += 2
            while i < word.count, isLower(word[i]) { first.append(word[i]); i += 1 }
        } else {
            first.append(word[i])
            i += 1
        }
    }
    var second: [Unicode.Scalar] = []
    i = 0
    while i < first.count {
        if i + 1 < first.count, isLower(first[i]), isUpper(first[i + 1]) {
            second += [first[i], "_", first[i + 1]]
            i += 2
        } else {
            second.append(first[i])
            i += 1
        }
    }
    var text = String.UnicodeScalarView()
    text.append(contentsOf: second)
    return String(text).lowercased()
}

/// Keras 3's group paths for layers of the given classes, in `model.layers` order:
/// `snake_case(class)`, then `_1`, `_2`, ... for later layers of the same class
/// (`saving_lib._save_container_state`, `_get_unique_name`).
func keras3GroupPaths(classNames: [String]) -> [String] {
    var used: [String: Int] = [:]
    return classNames.map { className in
        let name = keras3SnakeCase(className)
        if let count = used[name] {
            used[name] = count + 1
            return "\(name)_\(count + 1)"
        }
        used[name] = 0
        return name
    }
}

/// What cvrnet takes from a `.keras` archive's `config.json` and `metadata.json`.
struct Keras3ArchiveModel: Sendable {
    /// The config's layers in order, with the group each is saved under.
    let layers: [Keras3Layer]
    /// `metadata.json`'s `keras_version`.
    let kerasVersion: String?
    /// `config.json` as text.
    let configJSON: String

    init(path: String, config: [UInt8], metadata: [UInt8]?) throws(KerasFormatError) {
        guard let text = String(validating: config, as: UTF8.self),
              let object = try? JSONSerialization.jsonObject(with: Data(config)),
              let root = object as? [String: Any] else {
            throw .kerasArchiveConfigInvalid(path: path, detail: "it is not JSON")
        }
        let className = root["class_name"] as? String ?? "?"
        guard className == "Functional" || className == "Model" else {
            throw .kerasArchiveConfigInvalid(path: path, detail: "it describes a '\(className)', not a Functional model")
        }
        guard let body = root["config"] as? [String: Any], let list = body["layers"] as? [Any] else {
            throw .kerasArchiveConfigInvalid(path: path, detail: "it has no config.layers list")
        }
        var classes: [String] = []
        var names: [String] = []
        for (index, item) in list.enumerated() {
            guard let layer = item as? [String: Any], let layerClass = layer["class_name"] as? String,
                  let name = layer["name"] as? String ?? (layer["config"] as? [String: Any])?["name"] as? String else {
                throw .kerasArchiveConfigInvalid(path: path, detail: "layer \(index) of config.layers has no class_name or name")
            }
            classes.append(layerClass)
            names.append(name)
        }
        guard Set(names).count == names.count else {
            throw .kerasArchiveConfigInvalid(path: path, detail: "config.layers names a layer twice")
        }
        layers = zip(keras3GroupPaths(classNames: classes), names).map { Keras3Layer(path: $0, name: $1) }
        configJSON = text
        var version: String?
        if let metadata, let meta = (try? JSONSerialization.jsonObject(with: Data(metadata))) as? [String: Any] {
            version = meta["keras_version"] as? String
        }
        kerasVersion = version
    }
}

extension KerasWeightsFile {
    /// The layers of a Keras 3 `.weights.h5`: from the `vars` groups' `name` attributes when
    /// every group has one (Keras 3.6+), else from `table`. Call only while holding the lock.
    static func unlockedKeras3Names(_ file: HDF5File, table: [Keras3Layer]?) throws(KerasFormatError) -> ([Keras3Layer], Keras3LayerNaming) {
        let path = file.path
        let groups = try file.unlockedChildNames(ofGroup: "/layers")
        var named: [Keras3Layer] = []
        for group in groups {
            let vars = "/layers/\(group)/vars"
            if let name = file.unlockedWithObject(vars, { HDF5File.unlockedReadStringArrayAttribute("name", of: $0) }) ?? nil,
               name.count == 1 {
                named.append(Keras3Layer(path: group, name: name[0]))
            }
        }
        if named.count == groups.count, !groups.isEmpty {
            return (named, .nameAttributes)
        }
        if !named.isEmpty {
            throw .keras3StructureMismatch(path: path, detail: "\(named.count) of its \(groups.count) layers/ groups have a vars 'name' attribute, the others none")
        }
        guard let table else { throw .keras3LayerNamesUnknown(path: path) }
        return (table, .layerTable)
    }

    /// Reads the Keras 3 structure given the file's layers. Call only while holding the lock.
    static func unlockedReadKeras3(_ file: HDF5File, layers: [Keras3Layer], naming: Keras3LayerNaming,
                                   rootAttributes: [String: String], archive: Keras3ArchiveModel?) throws(KerasFormatError) -> Structure {
        let path = file.path
        let source: String
        switch naming {
        case .archiveConfig: source = "config.json"
        case .nameAttributes: source = "the vars name attributes"
        case .layerTable: source = "the layer table"
        }
        let groups = try file.unlockedChildNames(ofGroup: "/layers")
        let expected = layers.map(\.path)
        if Set(groups) != Set(expected) || groups.count != expected.count {
            let missing = expected.first { !groups.contains($0) }.map { "missing 'layers/\($0)'" }
            let extra = groups.first { !expected.contains($0) }.map { "unexpected 'layers/\($0)'" }
            let first = [missing, extra].compactMap { $0 }.joined(separator: ", ")
            throw .keras3StructureMismatch(path: path, detail: "\(source) lists \(expected.count) layers, the file has "
                + "\(groups.count) layers/ groups (\(first.isEmpty ? "a layer appears twice" : first))")
        }
        guard Set(layers.map(\.name)).count == layers.count else {
            throw .keras3StructureMismatch(path: path, detail: "\(source) names a layer twice")
        }
        var weightNames: [String: [String]] = [:]
        var groupPaths: [String: String] = [:]
        for layer in layers {
            let group = "/layers/\(layer.path)"
            if file.unlockedObjectKind(group + "/layers") == .group {
                throw .keras3StructureMismatch(path: path, detail: "'layers/\(layer.path)' holds a nested model, which cvrnet does not read; "
                    + "build the model from the encoders' layers as the CVR-Net notebook does")
            }
            let vars = group + "/vars"
            guard file.unlockedObjectKind(vars) == .group else {
                throw .keras3StructureMismatch(path: path, detail: "'layers/\(layer.path)' has no vars group")
            }
            if naming != .nameAttributes,
               let stored = file.unlockedWithObject(vars, { HDF5File.unlockedReadStringArrayAttribute("name", of: $0) }) ?? nil,
               stored != [layer.name] {
                throw .keras3StructureMismatch(path: path, detail: "'layers/\(layer.path)' is layer '\(stored.first ?? "")' by its name "
                    + "attribute but '\(layer.name)' by \(source)")
            }
            // Arrays are vars/0, vars/1, ... in the layer's variable order (trainable, then not).
            let children = try file.unlockedChildNames(ofGroup: vars)
            let names = (0..<children.count).map { "vars/\($0)" }
            guard Set(children) == Set((0..<children.count).map(String.init)) else {
                throw .keras3StructureMismatch(path: path, detail: "'layers/\(layer.path)/vars' holds \(children.map { "'\($0)'" }.joined(separator: ", ")), "
                    + "not the arrays 0..\(children.count - 1)")
            }
            for name in names where file.unlockedObjectKind(group + "/" + name) != .dataset {
                throw .weightMissing(path: path, layer: layer.name, weight: name)
            }
            weightNames[layer.name] = names
            groupPaths[layer.name] = group
        }
        return Structure(
            layout: archive == nil ? .keras3Weights : .keras3Archive, groupPaths: groupPaths, keras3Naming: naming,
            layerNames: layers.map(\.name), weightNames: weightNames,
            kerasVersion: archive?.kerasVersion, backend: nil, modelConfigJSON: archive?.configJSON,
            rootAttributes: rootAttributes)
    }
}
