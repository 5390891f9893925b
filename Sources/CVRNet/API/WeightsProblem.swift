import KerasFormat

/// One thing wrong with a weights file, as `CVRNetModel.diagnose` finds it. Each description is
/// one sentence naming the file.
public enum WeightsProblem: Error, Equatable, CustomStringConvertible {
    /// The file as a Keras weights file: unreadable, a layer or weight missing, a weight that
    /// cannot be read or holds NaN or infinity.
    case weightsFile(KerasFormatError)
    /// Loading the model, as classify and score load it, stopped here.
    case model(CVRNetError)
    /// Neither naming scheme's ResNet50 stem layer is among the file's layers.
    case namingSchemeUnknown(path: String)
    /// An encoder has no layer with weights (`prefix` is `res_` or `xce_`).
    case encoderWithoutWeights(path: String, encoder: String, prefix: String)
    /// The auto-named head Dense layers are not three per head, so the heads cannot be told apart.
    case headsIndistinct(path: String, autoNamedDense: Int)
    /// A head's named Dense 64 layer (`MKH_k`) is absent.
    case headLayerMissing(path: String, head: HeadScale)

    public var description: String {
        switch self {
        case .weightsFile(let e): return e.description
        case .model(let e): return e.description
        case .namingSchemeUnknown(let path):
            let stems = NamingScheme.allCases.map { CVRNetLayout.resNet50Prefix + $0.resNet50StemConvolution + " (\($0))" }
            return "'\(path)': neither \(stems.joined(separator: " nor ")) is among its layers: not a CVR-Net weights file"
        case .encoderWithoutWeights(let path, let encoder, let prefix):
            return "'\(path)' has no \(encoder) layers (\(prefix)*) with weights"
        case .headsIndistinct(let path, let found):
            return "'\(path)' has \(found) auto-named Dense layers (dense, dense_N), expected \(CVRNetLayout.autoNamedDenseCount) "
                + "(three per head besides MKH_k), so the heads cannot be told apart"
        case .headLayerMissing(let path, let head):
            return "'\(path)' has no layer \(CVRNetLayout.namedHeadLayer(head)) (the Dense 64 layer of head \(head.rawValue))"
        }
    }
}
