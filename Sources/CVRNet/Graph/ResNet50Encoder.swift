import CVRNetKernels

/// ResNet50 v1 without its top (`include_top=False`), as both Keras generations build it:
/// stem (ZeroPadding 3, Conv 7x7/2, BN, ReLU, ZeroPadding 1, MaxPool 3/2) and four stages of
/// bottleneck blocks (1x1, 3x3 'same', 1x1 x4; stride on the first 1x1 of a down-sampling
/// block; projection shortcut 1x1 + BN on each stage's first block; add, then ReLU).
///
/// BatchNorm is folded into every convolution; ZeroPadding is folded into the stem conv and pool.
/// The stem convolution sums in double (`DoubleAccumulation`), every other layer in float32.
final class ResNet50Encoder: @unchecked Sendable {
    /// One bottleneck block; `shortcut` is nil for identity blocks.
    struct Bottleneck {
        let reduce: Convolution2D
        let spatial: Convolution2D
        let expand: Convolution2D
        let shortcut: Convolution2D?
        let inputShape: FeatureMapShape
    }

    static let stages = CVRNetLayout.resNet50Stages

    let inputShape: FeatureMapShape
    let stem: Convolution2D
    let stemPool = WindowGeometry(kernel: 3, stride: 2, padding: .uniform(1))
    let blocks: [Bottleneck]
    /// Output: 7x7x2048 at 224.
    let outputShape: FeatureMapShape
    /// The forward pass as steps over planned tensors; it shows the stage-3 and stage-4 outputs
    /// (heads 3 and 2) and the output (head 1's first part) as taps.
    let plan: ExecutionPlan

    /// Builds the encoder for `input` and fills it from `source` under `names`.
    init(input: FeatureMapShape, names: ResNet50LayerNames, source: LayerWeightSource) throws(CVRNetError) {
        inputShape = input
        let eps = names.batchNormEpsilon
        var plan = ExecutionPlanBuilder(inputShape: input)
        // Summed in double: the raw 0..255 input makes this the float32 sum with the largest
        // rounding error of the network (see `DoubleAccumulation`).
        stem = Convolution2D(window: WindowGeometry(kernel: 7, stride: 2, padding: .uniform(3)),
                             inputChannels: input.channels, outputChannels: 64, accumulation: .double)
        try source.load(stem, layer: names.stemConv, hasBias: true, batchNorm: names.stemBatchNorm, epsilon: eps)
        let stemOut = stem.outputShape(for: input)
        let stemMap = plan.tensor("conv1", stemOut)
        plan.append(.convolution(stem, input: plan.input, inputShape: input, output: stemMap,
                                 scratch: plan.scratch("conv1", floats: stem.scratchCount(for: input)),
                                 activation: .relu, accumulate: false))
        let (ph, pw) = stemPool.outputSize(height: stemOut.height, width: stemOut.width)
        var shape = FeatureMapShape(height: ph, width: pw, channels: 64)
        var x = plan.tensor("pool1", shape)
        // pool1_pad (ZeroPadding2D 1) + pool1_pool (MaxPooling2D 3/2 valid): padded zeros are candidates.
        plan.append(.maxPooling(window: stemPool, padValue: .zero, input: stemMap, shape: stemOut, output: x))

        var built: [Bottleneck] = []
        for (stage, count, filters, stride) in Self.stages {
            for block in 1...count {
                let s = block == 1 ? stride : 1
                func conv(_ k: Int, _ stride: Int, _ cin: Int, _ cout: Int, _ branch: ResNet50LayerNames.Branch,
                          winogradInput: FeatureMapShape? = nil) throws(CVRNetError) -> Convolution2D {
                    let pad: Padding2D = k == 1 ? .valid : .uniform(k / 2)  // 3x3 stride 1 'same'
                    let c = Convolution2D(window: WindowGeometry(kernel: k, stride: stride, padding: pad),
                                          inputChannels: cin, outputChannels: cout)
                    let (convName, bnName) = names.blockLayers(stage: stage, block: block, branch: branch)
                    try source.load(c, layer: convName, hasBias: true, batchNorm: bnName, epsilon: eps,
                                    winogradInput: winogradInput)
                    return c
                }
                let reduce = try conv(1, s, shape.channels, filters, .reduce)
                // Every 3x3 conv of ResNet50 is stride 1: Winograd where the map is large enough (stages 2-4).
                let spatial = try conv(3, 1, filters, filters, .spatial, winogradInput: reduce.outputShape(for: shape))
                let expand = try conv(1, 1, filters, 4 * filters, .expand)
                let shortcut = block == 1 ? try conv(1, s, shape.channels, 4 * filters, .shortcut) : nil
                let mid = reduce.outputShape(for: shape)
                let out = expand.outputShape(for: mid)
                built.append(Bottleneck(reduce: reduce, spatial: spatial, expand: expand, shortcut: shortcut, inputShape: shape))

                let name = "stage\(stage) block\(block)"
                let t1 = plan.tensor(name + " reduce", mid), t2 = plan.tensor(name + " spatial", mid)
                plan.append(.convolution(reduce, input: x, inputShape: shape, output: t1,
                                         scratch: plan.scratch(name + " reduce", floats: reduce.scratchCount(for: shape)),
                                         activation: .relu, accumulate: false), startsBlock: true)
                plan.append(.convolution(spatial, input: t1, inputShape: mid, output: t2,
                                         scratch: plan.scratch(name + " spatial", floats: spatial.scratchCount(for: mid)),
                                         activation: .relu, accumulate: false))
                if let shortcut {
                    // Projection block: the shortcut writes a new map, the expansion adds onto it.
                    let y = plan.tensor(name + " out", out)
                    plan.append(.convolution(shortcut, input: x, inputShape: shape, output: y,
                                             scratch: plan.scratch(name + " shortcut", floats: shortcut.scratchCount(for: shape)),
                                             activation: .identity, accumulate: false))
                    x = y
                }
                // Keras: add([shortcut, expand]) then ReLU; an identity block adds onto its input
                // in place (it is not needed after).
                plan.append(.convolution(expand, input: t2, inputShape: mid, output: x,
                                         scratch: plan.scratch(name + " expand", floats: expand.scratchCount(for: mid)),
                                         activation: .relu, accumulate: true))
                shape = out
                if block == count, let head = CVRNetLayout.resNet50HeadTapStages[stage] {
                    plan.append(.tap(TapPoint(head: head, part: 0), tensor: x, shape: shape))
                }
            }
        }
        blocks = built
        outputShape = shape
        // Concatenate([resnet, xception]): ResNet50's channels are head 1's first part.
        plan.append(.tap(TapPoint(head: .fused7x7, part: 0), tensor: x, shape: shape))
        self.plan = plan.build()
    }
}
