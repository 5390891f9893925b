/// How long one step of an encoder's forward pass took (`CVRNetModel.profileSteps`).
public struct StepTiming: Sendable {
    /// "ResNet50" or "Xception".
    public let encoder: String
    /// The step's position in its encoder's execution plan.
    public let index: Int
    /// What the step runs: the operation, its kernel variant, and the tensor it writes.
    public let label: String
    /// Median wall time over the runs, in milliseconds.
    public let milliseconds: Double
}
