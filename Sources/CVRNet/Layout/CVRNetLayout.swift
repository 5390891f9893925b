import CVRNetKernels

/// What CVR-Net is, written down once: the encoders' prefixes and stages, where the five heads
/// tap them, how wide each head is and how its Dense layers are named. The loader, the graph,
/// the weights diagnosis (`cvrnet inspect`) and the Keras 3 reader read it from here.
///
/// `tools/make_layout_fixture.py` records the same facts from the Keras models that
/// `tools/cvrnet_model.py` builds (both naming schemes) in `Tests/Fixtures/layout/cvrnet-layout.json`;
/// `CVRNetLayoutTests` checks this table against it.
public enum CVRNetLayout {
    /// The one input, HWC (the notebook's `Input(shape=(224, 224, 3))`).
    static let inputShape = FeatureMapShape(height: 224, width: 224, channels: 3)

    /// The notebook renames every ResNet50 layer `res_<name>` and every Xception layer `xce_<name>`.
    public static let resNet50Prefix = "res_"
    public static let xceptionPrefix = "xce_"

    /// ResNet50 v1's four stages of bottleneck blocks (Keras applications `stack1` calls).
    static let resNet50Stages: [(stage: Int, blocks: Int, filters: Int, stride: Int)] =
        [(2, 3, 64, 1), (3, 4, 128, 2), (4, 6, 256, 2), (5, 3, 512, 2)]

    /// Keras Xception leaves every BatchNormalization at Keras's default epsilon.
    static let xceptionBatchNormEpsilon: Float = 1e-3

    /// Xception's down-sampling blocks, each with an auto-named 1x1 residual projection
    /// (`conv2d*` + `batch_normalization*`, created in this order).
    static let xceptionResidualBlocks = [2, 3, 4, 13]

    /// Where each head reads its map: ResNet50 stages 3 and 4 (heads 3 and 2), the second
    /// SepConv-BN of Xception blocks 4 and 13 (heads 4 and 5); head 1 reads both encoders' outputs.
    static let resNet50HeadTapStages: [Int: HeadScale] = [3: .resnet28x28, 4: .resnet14x14]
    static let xceptionHeadTapBlocks: [Int: HeadScale] = [4: .xception28x28, 13: .xception14x14]

    /// The layer whose output is head `scale`'s map (head 1: its two halves), without naming
    /// head 1's Concatenate (auto-named, never weighted).
    static func tapLayers(_ scale: HeadScale, scheme: NamingScheme) -> [String] {
        switch scale {
        case .fused7x7:
            return [resNet50Prefix + scheme.resNet50StageOutput(5), xceptionPrefix + "block14_sepconv2_act"]
        case .resnet14x14, .resnet28x28:
            let stage = resNet50HeadTapStages.first { $0.value == scale }!.key
            return [resNet50Prefix + scheme.resNet50StageOutput(stage)]
        case .xception28x28, .xception14x14:
            let block = xceptionHeadTapBlocks.first { $0.value == scale }!.key
            return [xceptionPrefix + "block\(block)_sepconv2_bn"]
        }
    }

    /// Channels of each head's pooled input, in head order: head 1 concatenates ResNet50's
    /// output and Xception's, ResNet50's channels first.
    static func headInputs(resnetOutput: Int, xceptionOutput: Int) -> [Int] {
        [resnetOutput + xceptionOutput, 1024, 512, 728, 1024]
    }

    /// Every head: Dense 512 ReLU, Dense 128 ReLU, Dense 64 ReLU (`MKH_k`), then Dense N softmax.
    static let headHiddenUnits = [512, 128, 64]

    /// Fewer classes than this is not a classifier.
    static let minimumClasses = 2

    /// The Dense 64 layer of head `k`, the only head layer the notebook names.
    public static func namedHeadLayer(_ scale: HeadScale) -> String { "MKH_\(scale.rawValue)" }

    /// The base of the head Dense layers Keras auto-names (`dense`, `dense_1`, ... or `dense_1`, ...).
    public static let headAutoNameBase = "dense"
    /// Auto-named Dense layers per head (512, 128 and the N-unit output).
    public static let autoNamedDensePerHead = 3
    public static var autoNamedDenseCount: Int { autoNamedDensePerHead * HeadScale.allCases.count }

    /// The head rule: the notebook builds the heads one after the other, so the auto-named Dense
    /// layers, in the order of their numbers, are head 1's 512, 128 and N, then head 2's, ...
    /// Returns each head's four Dense layers (512, 128, `MKH_k`, N) in head order, or nil when
    /// `autoNamedDense` does not hold three per head.
    public static func headLayers(autoNamedDense dense: [String]) -> [[String]]? {
        guard dense.count == autoNamedDenseCount else { return nil }
        return HeadScale.allCases.map { scale in
            let own = dense[(autoNamedDensePerHead * (scale.rawValue - 1))...].prefix(autoNamedDensePerHead)
            let d = Array(own)
            return [d[0], d[1], namedHeadLayer(scale), d[2]]
        }
    }

    /// The auto-named head Dense layers among `layerNames`, in the order of their numbers.
    public static func autoNamedDense(in layerNames: [String]) -> [String] {
        autoNamedLayers(headAutoNameBase, in: layerNames)
    }

    /// Xception's residual projections among `layerNames`: (convolutions, batch norms) in the
    /// order of their numbers.
    static func xceptionResidualLayers(in layerNames: [String]) -> (convolutions: [String], batchNorms: [String]) {
        (autoNamedLayers("conv2d", prefix: xceptionPrefix, in: layerNames),
         autoNamedLayers("batch_normalization", prefix: xceptionPrefix, in: layerNames))
    }

    /// CVR-Net's layers in Keras 3 `model.layers` order (`Keras3LayerTable.swift`), for reading
    /// Keras 3.0-3.5 `.weights.h5` files, which keep no layer names.
    public static var keras3LayerTable: [(path: String, name: String)] { keras3CVRNetLayerTable }
}
