import KerasFormat

/// What a loaded weights file is.
public struct WeightsDescription: Sendable {
    /// Path as given.
    public let path: String
    /// Keras 2 weights-only file (`save_weights`) or full model (`model.save`, also Keras 3's
    /// legacy `.h5`), Keras 3 `.weights.h5`, or Keras 3 `.keras` archive.
    public let layout: KerasWeightsLayout
    /// Layer naming scheme found in the file (decides ResNet50's BatchNorm epsilon).
    public let namingScheme: NamingScheme
    /// `keras_version` and `backend` attributes as stored.
    public let kerasVersion: String?
    public let backend: String?
    /// Number of classes (units of the heads' final Dense layers).
    public let classCount: Int
    /// True when the file is one of this project's untrained reference weights
    /// (`tools/make_reference_weights.py`): predictions with it carry no clinical meaning.
    public let isReferenceWeights: Bool
    /// The file's own statement about being reference weights, if any.
    public let referenceNote: String?
}
