import CVRNetKernels

/// The five feature maps CVR-Net classifies, one per head, in the order of the paper's heads.
///
/// | head | map | size at 224 |
/// |---|---|---|
/// | 1 | concat(ResNet50 output, Xception output) | 7x7x4096 |
/// | 2 | ResNet50 stage-4 output (`conv4_block6_out` / `activation_40`) | 14x14x1024 |
/// | 3 | ResNet50 stage-3 output (`conv3_block4_out` / `activation_22`) | 28x28x512 |
/// | 4 | Xception `block4_sepconv2_bn` (before pool and add) | 28x28x728 |
/// | 5 | Xception `block13_sepconv2_bn` (before pool and add) | 14x14x1024 |
public enum HeadScale: Int, CaseIterable, Sendable, Codable, CustomStringConvertible {
    case fused7x7 = 1
    case resnet14x14 = 2
    case resnet28x28 = 3
    case xception28x28 = 4
    case xception14x14 = 5

    /// A short stable identifier for columns and JSON keys, e.g. `resnet_14x14`.
    public var identifier: String {
        switch self {
        case .fused7x7: return "fused_7x7"
        case .resnet14x14: return "resnet_14x14"
        case .resnet28x28: return "resnet_28x28"
        case .xception28x28: return "xception_28x28"
        case .xception14x14: return "xception_14x14"
        }
    }

    /// A human-readable name: encoder and scale.
    public var description: String {
        switch self {
        case .fused7x7: return "ResNet50+Xception 7x7"
        case .resnet14x14: return "ResNet50 14x14"
        case .resnet28x28: return "ResNet50 28x28"
        case .xception28x28: return "Xception 28x28"
        case .xception14x14: return "Xception 14x14"
        }
    }
}
