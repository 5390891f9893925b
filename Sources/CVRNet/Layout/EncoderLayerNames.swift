/// Names of ResNet50's weighted layers under one scheme.
struct ResNet50LayerNames {
    enum Branch { case reduce, spatial, expand, shortcut }

    let scheme: NamingScheme
    let prefix = CVRNetLayout.resNet50Prefix

    var batchNormEpsilon: Float { scheme.resNet50BatchNormEpsilon }

    var stemConv: String { prefix + scheme.resNet50StemConvolution }
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
}

/// Names of Xception's weighted layers: explicit names (`block2_sepconv1`, `block2_sepconv1_bn`)
/// except the four residual projections, which Keras auto-names `conv2d*` / `batch_normalization*`
/// in creation order (blocks 2, 3, 4, 13); the numbering depends on what the Keras session had built
/// before, so they are resolved by numeric order of their suffixes.
struct XceptionLayerNames {
    let prefix = CVRNetLayout.xceptionPrefix
    /// (convolution, batch norm) for the residual projections of blocks 2, 3, 4 and 13.
    let residualLayers: [(String, String)]
}

/// Keras auto-names: `base`, `base_1`, `base_2`, ... (tf.keras starts without a suffix, Keras 2.3.1
/// at `_1`). Returns the names in `names` of the form `prefix + base[_N]`, ordered by N; N is ASCII
/// digits only (Keras writes `_%d`).
func autoNamedLayers(_ base: String, prefix: String = "", in names: [String]) -> [String] {
    let stem = prefix + base
    var found: [(Int, String)] = []
    for name in names {
        if name == stem { found.append((0, name)); continue }
        guard name.hasPrefix(stem + "_") else { continue }
        let suffix = name.dropFirst(stem.count + 1)
        if !suffix.isEmpty, suffix.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(suffix) { found.append((n, name)) }
    }
    return found.sorted { $0.0 < $1.0 }.map(\.1)
}
