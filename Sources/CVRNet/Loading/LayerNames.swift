/// The two ways Keras names CVR-Net's layers. Both prefix the ResNet50 encoder's layers with
/// `res_` and Xception's with `xce_` (the reference notebook renames them after building).
public enum NamingScheme: String, Sendable, Codable, CustomStringConvertible {
    /// tf.keras 2.2+ / tf-keras applications: `res_conv1_conv`, `res_conv4_block6_out`;
    /// ResNet50 BatchNorm epsilon 1.001e-5.
    case tfKeras = "tf.keras"
    /// Keras 2.3.1 (`keras_applications` 1.0.8), what the CVR-Net notebook used: `res_conv1`,
    /// `res_bn_conv1`, `res_res2a_branch2a`; ResNet50 BatchNorm epsilon 1e-3 (the Keras default).
    case keras231 = "Keras 2.3.1"

    public var description: String { rawValue }

    /// Detects the scheme from the layer names stored in a weights file.
    static func detect(layerNames: Set<String>) -> NamingScheme? {
        if layerNames.contains("res_conv1_conv") { return .tfKeras }
        if layerNames.contains("res_conv1") { return .keras231 }
        return nil
    }
}

/// Names of ResNet50's weighted layers under one scheme.
struct ResNet50LayerNames {
    enum Branch { case reduce, spatial, expand, shortcut }

    let scheme: NamingScheme
    let prefix = "res_"

    /// tf.keras ResNet50 uses epsilon 1.001e-5; keras_applications 1.0.8 leaves Keras's 1e-3.
    var batchNormEpsilon: Float { scheme == .tfKeras ? 1.001e-5 : 1e-3 }

    var stemConv: String { prefix + (scheme == .tfKeras ? "conv1_conv" : "conv1") }
    var stemBatchNorm: String { prefix + (scheme == .tfKeras ? "conv1_bn" : "bn_conv1") }

    /// (convolution, batch norm) of one branch of block `block` (1-based) of stage `stage` (2-5).
    func blockLayers(stage: Int, block: Int, branch: Branch) -> (String, String) {
        switch scheme {
        case .tfKeras:
            let index: Int
            switch branch { case .shortcut: index = 0; case .reduce: index = 1; case .spatial: index = 2; case .expand: index = 3 }
            let base = prefix + "conv\(stage)_block\(block)_\(index)"
            return (base + "_conv", base + "_bn")
        case .keras231:
            let letter = String(Array("abcdefghijklmnopqrstuvwxyz")[block - 1])
            let suffix: String
            switch branch { case .shortcut: suffix = "1"; case .reduce: suffix = "2a"; case .spatial: suffix = "2b"; case .expand: suffix = "2c" }
            return (prefix + "res\(stage)\(letter)_branch\(suffix)", prefix + "bn\(stage)\(letter)_branch\(suffix)")
        }
    }

    /// The layer whose output is head 2's (stage 4) and head 3's (stage 3) map, for messages.
    var stageOutputNames: (stage3: String, stage4: String) {
        scheme == .tfKeras ? (prefix + "conv3_block4_out", prefix + "conv4_block6_out")
                           : (prefix + "activation_22", prefix + "activation_40")
    }
}

/// Names of Xception's weighted layers: explicit names (`block2_sepconv1`, `block2_sepconv1_bn`)
/// except the four residual projections, which Keras auto-names `conv2d*` / `batch_normalization*`
/// in creation order (blocks 2, 3, 4, 13); the numbering depends on what the Keras session had built
/// before, so they are resolved by numeric order of their suffixes.
struct XceptionLayerNames {
    let prefix = "xce_"
    /// (convolution, batch norm) for the residual projections of blocks 2, 3, 4 and 13.
    let residualLayers: [(String, String)]
}

/// Keras auto-names: `base`, `base_1`, `base_2`, ... (tf.keras starts without a suffix, Keras 2.3.1
/// at `_1`). Returns the names in `names` of the form `prefix + base[_N]`, ordered by N.
func autoNamedLayers(_ base: String, prefix: String = "", in names: [String]) -> [String] {
    let stem = prefix + base
    var found: [(Int, String)] = []
    for name in names {
        if name == stem { found.append((0, name)); continue }
        guard name.hasPrefix(stem + "_") else { continue }
        let suffix = name.dropFirst(stem.count + 1)
        if let n = Int(suffix), !suffix.isEmpty, suffix.allSatisfy(\.isNumber) { found.append((n, name)) }
    }
    return found.sorted { $0.0 < $1.0 }.map(\.1)
}
