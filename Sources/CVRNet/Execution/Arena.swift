import CVRNetKernels

/// The activation memory of a pass of one or more plans run one after the other: one aligned
/// block, as large as the largest plan needs (`ExecutionPlan.arenaFloats`). Tensors are views
/// into it at the offsets the plan's `ArenaLayout` gives; a pass allocates nothing.
final class Arena: @unchecked Sendable {
    private let storage: FloatBuffer

    /// An arena for `floats` floats.
    init(floats: Int) {
        storage = FloatBuffer(count: floats)
    }

    /// An arena big enough for each of `plans`, run one at a time.
    convenience init(for plans: [ExecutionPlan]) {
        self.init(floats: plans.map(\.arenaFloats).max() ?? 0)
    }

    var base: UnsafeMutablePointer<Float> { storage.pointer }
    var floats: Int { storage.count }
}
