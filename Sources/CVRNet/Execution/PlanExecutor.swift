import CVRNetKernels
#if canImport(Glibc)
import Glibc
#endif

/// Runs an execution plan's steps on one image, in order, in an arena laid out by the plan.
///
/// The threads come from the caller, per step: a fixed context, or a `ThreadBudget` asked for
/// a new context at every step that starts a block (so an encoder left running alone takes
/// over the other's threads). Kernels never depend on the thread count for their arithmetic.
enum PlanExecutor {
    /// Where a pass's threads come from.
    enum Threads {
        case context(ComputeContext)
        case budget(ThreadBudget)
    }

    /// Receives every tapped map (`TapPoint`) as the pass produces it.
    typealias TapSink = (_ point: TapPoint, _ map: UnsafePointer<Float>, _ shape: FeatureMapShape) -> Void

    /// Receives each step's index and wall time in seconds (profiling only).
    typealias StepTimer = (_ step: Int, _ seconds: Double) -> Void

    /// Runs `steps` (default: all) of `plan` on `image` in `arena`; `timer`, when given, gets
    /// every step's wall time.
    static func run(_ plan: ExecutionPlan, steps: Range<Int>? = nil, image: UnsafePointer<Float>, arena: Arena,
                    threads: Threads, tap: TapSink, timer: StepTimer? = nil) {
        precondition(arena.floats >= plan.arenaFloats, "arena of \(arena.floats) floats for a plan of \(plan.arenaFloats)")
        var context: ComputeContext
        switch threads {
        case .context(let c): context = c
        case .budget(let b): context = b.context()
        }
        func view(_ t: TensorID) -> TensorView { plan.view(t, arena: arena, image: image) }
        for index in steps ?? plan.steps.indices {
            let step = plan.steps[index]
            if step.startsBlock, case .budget(let budget) = threads { context = budget.context() }
            let start = timer == nil ? 0 : monotonicSeconds()
            defer { if let timer { timer(index, monotonicSeconds() - start) } }
            switch step.operation {
            case let .convolution(conv, input, inputShape, output, scratch, activation, accumulate):
                precondition(input != output, "a convolution cannot write its own input")
                conv.forward(input: view(input).pointer(for: inputShape), inputShape: inputShape,
                             output: view(output).pointer(for: conv.outputShape(for: inputShape)),
                             scratch: scratch.map { view($0).pointer(floats: conv.scratchCount(for: inputShape)) },
                             activation: activation, accumulate: accumulate, context: context)
            case let .separableConvolution(sep, input, shape, reluInput, output, scratch, activation, accumulate):
                precondition(input != output, "a convolution cannot write its own input")
                let out = FeatureMapShape(height: shape.height, width: shape.width, channels: sep.outputChannels)
                sep.forward(input: view(input).pointer(for: shape), shape: shape, reluInput: reluInput,
                            scratch: view(scratch).pointer(floats: sep.scratchCount(for: shape)),
                            output: view(output).pointer(for: out), activation: activation, accumulate: accumulate,
                            context: context)
            case let .maxPooling(window, padValue, input, shape, output):
                let (h, w) = window.outputSize(height: shape.height, width: shape.width)
                maxPooling2D(input: view(input).pointer(for: shape), shape: shape, window: window, padValue: padValue,
                             output: view(output).pointer(for: FeatureMapShape(height: h, width: w, channels: shape.channels)),
                             context: context)
            case let .downsampling(block, input, output, first, second, scratch, point):
                block.forward(x: view(input).pointer(for: block.inputShape),
                              out: view(output).pointer(for: block.outputShape),
                              first: view(first).pointer(floats: block.firstMapFloats),
                              second: view(second).pointer(floats: block.secondMapFloats),
                              scratch: view(scratch).pointer(floats: block.scratchFloats), context: context) { map, shape in
                    if let point { tap(point, map, shape) }
                }
            case let .tap(point, tensor, shape):
                tap(point, view(tensor).pointer(for: shape), shape)
            }
        }
    }
}

/// CLOCK_MONOTONIC in seconds.
func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
