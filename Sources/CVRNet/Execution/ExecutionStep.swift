import CVRNetKernels

/// One step of an encoder's execution plan: a layer (or a fused group of layers) over named
/// tensors. The encoders emit steps (`ExecutionPlanBuilder`); `ArenaPlanner` places the tensors
/// by the steps that use them; `PlanExecutor` runs the steps.
struct ExecutionStep: @unchecked Sendable {
    enum Operation {
        /// `output = act(conv(input) (+ output))`.
        case convolution(Convolution2D, input: TensorID, inputShape: FeatureMapShape, output: TensorID,
                         scratch: TensorID?, activation: Activation, accumulate: Bool)
        /// `output = act(SeparableConv2D([ReLU] input) (+ output))`; the depthwise results go to `scratch`.
        case separableConvolution(SeparableConvolution2D, input: TensorID, shape: FeatureMapShape, reluInput: Bool,
                                  output: TensorID, scratch: TensorID, activation: Activation, accumulate: Bool)
        /// `MaxPooling2D`.
        case maxPooling(window: WindowGeometry, padValue: PoolingPadValue, input: TensorID, shape: FeatureMapShape,
                        output: TensorID)
        /// An Xception down-sampling block's SepConv-BN-ReLU-SepConv-BN-MaxPool, fused (whole maps or
        /// bands of rows, see `DownsamplingBands`); the residual is a step of its own. `first` and
        /// `second` hold the two SepConv maps (or their bands); `tap` sees `second` whole.
        case downsampling(XceptionEncoder.DownsamplingBlock, input: TensorID, output: TensorID,
                          first: TensorID, second: TensorID, scratch: TensorID, tap: TapPoint?)
        /// Shows a tensor to the pass's tap sink (the graph pools it for a head).
        case tap(TapPoint, tensor: TensorID, shape: FeatureMapShape)
    }

    let operation: Operation
    /// The step starts a block: a pass run with a `ThreadBudget` asks it for a new context here.
    let startsBlock: Bool

    /// Every tensor the step reads or writes (in place, accumulating, or as scratch).
    var operands: [TensorID] {
        switch operation {
        case let .convolution(_, input, _, output, scratch, _, _):
            return [input, output] + (scratch.map { [$0] } ?? [])
        case let .separableConvolution(_, input, _, _, output, scratch, _, _):
            return [input, output, scratch]
        case let .maxPooling(_, _, input, _, output):
            return [input, output]
        case let .downsampling(_, input, output, first, second, scratch, _):
            return [input, output, first, second, scratch]
        case let .tap(_, tensor, _):
            return [tensor]
        }
    }
}

/// Where a head reads an encoder's map: the head, and which part of it (head 1 concatenates
/// ResNet50's output, part 0, and Xception's, part 1).
struct TapPoint: Hashable, Sendable {
    let head: HeadScale
    let part: Int
}
