/// One head's Grad-CAM map.
public struct HeadExplanation: Sendable, Equatable {
    /// Which tapped feature map the head classifies.
    public let scale: HeadScale
    /// Rows and columns of the head's feature map (7x7, 14x14, 28x28, 28x28, 14x14 for 224x224).
    public let height: Int, width: Int
    /// The Grad-CAM map, `height x width`, row-major, signed and not normalised:
    /// `Σ_c A[y, x, c] · mean_yx(d logit / d A[y, x, c])`, as the Keras Grad-CAM example's
    /// `last_conv_layer_output @ pooled_grads` before its ReLU and division by the maximum.
    public let map: [Float]
    /// The head's pre-softmax outputs (logits), in label order. Their softmax is the head's
    /// probabilities in ``Prediction/heads``.
    public let logits: [Float]

    /// The map ReLU'd and divided by its maximum, in [0, 1]; all zeros when no value is > 0.
    public var normalizedMap: [Float] { GradCAMMap.normalized(map) }
}

/// Where the model looked for one class: Grad-CAM (Selvaraju et al. 2017) of each of CVR-Net's
/// five heads and their combination.
///
/// Each head's score is the pre-softmax logit of ``classIndex`` (as in the Keras example
/// "Grad-CAM class activation visualization"). Since a head is GlobalAveragePooling2D followed
/// by Dense layers, d score / d feature map is the same at every position, so the maps are
/// exact and need only the heads' Dense layers run backwards.
///
/// **Combined map** (``combined``, 224x224 row-major, values in [0, 1]): each head's map is
/// ReLU'd and divided by its own maximum (``HeadExplanation/normalizedMap``; a head with no
/// positive value contributes zeros), resized to 224x224 with bilinear interpolation as
/// `tf.image.resize(method="bilinear")` (half-pixel centres, no antialias; ``BilinearResize``),
/// and the five are averaged with equal weight, as the heads' probabilities are. The average is
/// not re-normalised: 1 means all five heads put their maximum at that pixel.
///
/// The map lies over the 224x224 input, i.e. over the image as the model saw it (stretched to a
/// square without keeping the aspect ratio); stretched back to the original size it lines up
/// with the original image.
public struct GradCAMExplanation: Sendable, Equatable {
    /// Side of ``combined``: the model's input size.
    public static let combinedSize = 224

    /// The prediction of the forward pass the maps come from (identical to `predict`'s).
    public let prediction: Prediction
    /// The class explained.
    public let classIndex: Int
    /// Each head's map, in head order (`HeadScale.allCases`).
    public let heads: [HeadExplanation]
    /// The combined map, `combinedSize x combinedSize`, row-major, in [0, 1].
    public let combined: [Float]

    /// Name of the class explained.
    public var label: String { prediction.labels[classIndex] }
    /// The map of one head.
    public func head(_ scale: HeadScale) -> HeadExplanation { heads[scale.rawValue - 1] }
}
