/// The activation applied in a kernel's epilogue.
public enum Activation: Sendable, Equatable {
    /// No activation (Keras `linear`).
    case identity
    /// `max(x, 0)` (Keras `relu`).
    case relu
}
