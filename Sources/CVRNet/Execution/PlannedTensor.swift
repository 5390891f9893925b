import CVRNetKernels

/// A tensor of an execution plan, by index: what a step reads or writes.
struct TensorID: Hashable, Sendable, CustomStringConvertible {
    let index: Int
    var description: String { "%\(index)" }
}

/// What the planner knows of a tensor: its name (for plan dumps and failed checks), the most
/// floats it ever holds, and where its memory comes from.
struct PlannedTensor: Sendable {
    enum Storage: Sendable {
        /// Given to the pass from outside (the input image); not in the arena.
        case input
        /// A slot of the arena, placed by `ArenaPlanner`.
        case arena
    }

    let name: String
    /// Floats: the largest map (or scratch) any step puts in it.
    var capacity: Int
    let storage: Storage
}
