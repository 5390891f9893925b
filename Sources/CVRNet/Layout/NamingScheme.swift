/// The two ways Keras names CVR-Net's layers. Both prefix the ResNet50 encoder's layers with
/// `res_` and Xception's with `xce_` (the reference notebook renames them after building).
/// What differs between them is written here once; `tools/make_layout_fixture.py` records the
/// same facts from the Keras models and `CVRNetLayoutTests` compares the two.
public enum NamingScheme: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// tf.keras 2.2+ / tf-keras applications: `res_conv1_conv`, `res_conv4_block6_out`;
    /// ResNet50 BatchNorm epsilon 1.001e-5; auto-names start without a suffix (`dense`, `dense_1`).
    case tfKeras = "tf.keras"
    /// Keras 2.3.1 (`keras_applications` 1.0.8), what the CVR-Net notebook used: `res_conv1`,
    /// `res_bn_conv1`, `res_res2a_branch2a`; ResNet50 BatchNorm epsilon 1e-3 (the Keras default);
    /// auto-names start at `_1` (`dense_1`).
    case keras231 = "Keras 2.3.1"

    public var description: String { rawValue }

    /// The ResNet50 stem convolution without its prefix: the layer that tells the schemes apart.
    var resNet50StemConvolution: String { self == .tfKeras ? "conv1_conv" : "conv1" }

    /// tf.keras ResNet50 uses epsilon 1.001e-5; keras_applications 1.0.8 leaves Keras's 1e-3.
    var resNet50BatchNormEpsilon: Float { self == .tfKeras ? 1.001e-5 : 1e-3 }

    /// The layer (without prefix) whose output is ResNet50's stage-`stage` output (3 and 4 are
    /// the maps of heads 3 and 2; 5 is the encoder's output, half of head 1's map).
    func resNet50StageOutput(_ stage: Int) -> String {
        switch self {
        case .tfKeras:
            let blocks = CVRNetLayout.resNet50Stages.first { $0.stage == stage }?.blocks ?? 0
            return "conv\(stage)_block\(blocks)_out"
        case .keras231:
            // keras_applications numbers ReLU activations from 1 (stem) in creation order,
            // three per block: the stage output is the last block's third.
            let blocks = CVRNetLayout.resNet50Stages.filter { $0.stage <= stage }.reduce(0) { $0 + $1.blocks }
            return "activation_\(1 + 3 * blocks)"
        }
    }

    /// Detects the scheme from the layer names stored in a weights file.
    public static func detect(layerNames: Set<String>) -> NamingScheme? {
        allCases.first { layerNames.contains(CVRNetLayout.resNet50Prefix + $0.resNet50StemConvolution) }
    }
}
