import CVRNetKernels

/// Collects an encoder's tensors and steps, in the order they run, while the encoder is built.
struct ExecutionPlanBuilder {
    private(set) var tensors: [PlannedTensor] = []
    private(set) var steps: [ExecutionStep] = []
    /// The input image, 224x224x3 floats given to every pass.
    let input: TensorID

    init(inputShape: FeatureMapShape) {
        tensors = [PlannedTensor(name: "input", capacity: inputShape.count, storage: .input)]
        input = TensorID(index: 0)
    }

    /// A new arena tensor for maps up to `shape`.
    mutating func tensor(_ name: String, _ shape: FeatureMapShape) -> TensorID {
        tensor(name, floats: shape.count)
    }

    /// A new arena tensor of `floats` floats (scratch).
    mutating func tensor(_ name: String, floats: Int) -> TensorID {
        tensors.append(PlannedTensor(name: name, capacity: floats, storage: .arena))
        return TensorID(index: tensors.count - 1)
    }

    /// Records that `tensor` also holds maps up to `shape` (a map updated in place that changes
    /// shape never happens in CVR-Net; this is for the capacity check's sake).
    mutating func grow(_ tensor: TensorID, to shape: FeatureMapShape) {
        tensors[tensor.index].capacity = max(tensors[tensor.index].capacity, shape.count)
    }

    /// A scratch tensor for one step, or nil when the step needs none.
    mutating func scratch(_ name: String, floats: Int) -> TensorID? {
        floats > 0 ? tensor(name + " scratch", floats: floats) : nil
    }

    mutating func append(_ operation: ExecutionStep.Operation, startsBlock: Bool = false) {
        steps.append(ExecutionStep(operation: operation, startsBlock: startsBlock))
    }

    /// The number of steps so far: the index the next step will have.
    var nextStep: Int { steps.count }

    /// Plans the arena (`ArenaPlanner`); `keepAlive` tensors keep their memory to the end of the pass.
    func build(keepAlive: Set<TensorID> = []) -> ExecutionPlan {
        ExecutionPlan(tensors: tensors, steps: steps, input: input, keepAlive: keepAlive)
    }
}
