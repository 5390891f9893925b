import CVRNetKernels

/// A tensor's memory during a pass: where it starts and how many floats it may hold.
///
/// Steps ask a view for a pointer for the shape (or float count) they are about to read or
/// write, and the view checks that it fits: the planner sized every slot from the same shapes
/// the steps use, so a failed check is a planning bug, caught at the step that would have
/// overrun instead of by a sanitizer run. One comparison per operand per step, in every build.
struct TensorView {
    let base: UnsafeMutablePointer<Float>
    let capacity: Int
    let name: String

    /// The start of the tensor, for a map of `shape`.
    @inline(__always)
    func pointer(for shape: FeatureMapShape) -> UnsafeMutablePointer<Float> {
        pointer(floats: shape.count)
    }

    /// The start of the tensor, for `floats` floats.
    @inline(__always)
    func pointer(floats: Int) -> UnsafeMutablePointer<Float> {
        precondition(floats <= capacity, "tensor \(name): \(floats) floats do not fit in its \(capacity)")
        return base
    }
}
