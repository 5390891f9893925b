import CVRNetKernels

/// An encoder's forward pass as data: its steps in order, its tensors, and where each tensor
/// lives in the arena. Made once when the model loads; immutable and shared by every pass.
struct ExecutionPlan: Sendable {
    let tensors: [PlannedTensor]
    let steps: [ExecutionStep]
    let input: TensorID
    let layout: ArenaLayout
    /// Tensors whose memory is kept to the end of the pass (readable after it).
    let keptAlive: Set<TensorID>

    init(tensors: [PlannedTensor], steps: [ExecutionStep], input: TensorID, keepAlive: Set<TensorID>) {
        self.tensors = tensors
        self.steps = steps
        self.input = input
        keptAlive = keepAlive
        layout = ArenaPlanner.layout(tensors: tensors, steps: steps, keepAlive: keepAlive)
    }

    /// Floats of arena memory one pass needs.
    var arenaFloats: Int { layout.floats }

    /// The same steps with `tensors` also kept to the end of the pass.
    func keeping(_ tensors: Set<TensorID>) -> ExecutionPlan {
        ExecutionPlan(tensors: self.tensors, steps: steps, input: input, keepAlive: keptAlive.union(tensors))
    }

    /// The view of `tensor` in `arena` (the input tensor is `image`).
    @inline(__always)
    func view(_ tensor: TensorID, arena: Arena, image: UnsafePointer<Float>) -> TensorView {
        let t = tensors[tensor.index]
        switch t.storage {
        case .input:
            return TensorView(base: UnsafeMutablePointer(mutating: image), capacity: t.capacity, name: t.name)
        case .arena:
            return TensorView(base: arena.base + layout.offsets[tensor.index]!, capacity: t.capacity, name: t.name)
        }
    }

    /// Every tap point a pass shows, with the tensor and the shape of the map: where Grad-CAM
    /// reads the maps (in a plan that keeps them, `keeping`).
    var taps: [TapPoint: (tensor: TensorID, shape: FeatureMapShape)] {
        var found: [TapPoint: (tensor: TensorID, shape: FeatureMapShape)] = [:]
        for step in steps {
            switch step.operation {
            case let .tap(point, tensor, shape): found[point] = (tensor, shape)
            case let .downsampling(block, _, _, _, second, _, point?):
                let s = block.inputShape
                found[point] = (second, FeatureMapShape(height: s.height, width: s.width, channels: block.second.outputChannels))
            default: break
            }
        }
        return found
    }

    /// The view of an arena tensor in `arena` (between passes: a kept tensor's last contents).
    func arenaView(_ tensor: TensorID, arena: Arena) -> TensorView {
        let t = tensors[tensor.index]
        precondition(t.storage == .arena, "\(t.name) is not in the arena")
        return TensorView(base: arena.base + layout.offsets[tensor.index]!, capacity: t.capacity, name: t.name)
    }

    /// One line per step: what it runs on which tensors, and the arena's size (for debugging).
    var summary: String {
        var lines = tensors.indices.map { i -> String in
            let t = tensors[i]
            let place = layout.offsets[i].map { "@\($0)" } ?? (t.storage == .input ? "input" : "unused")
            return "%\(i) \(t.name): \(t.capacity) floats \(place) steps \(layout.lifetimes[i].map { "\($0.lowerBound)...\($0.upperBound)" } ?? "-")"
        }
        lines.append("\(steps.count) steps; arena \(arenaFloats) floats (\(arenaFloats * 4 / 1024) KiB)")
        return lines.joined(separator: "\n")
    }
}
