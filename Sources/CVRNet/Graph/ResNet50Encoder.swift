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
    let requirement: WorkspaceRequirement
    /// Output: 7x7x2048 at 224.
    let outputShape: FeatureMapShape

    /// Builds the encoder for `input` and fills it from `source` under `names`.
    init(input: FeatureMapShape, names: ResNet50LayerNames, source: LayerWeightSource) throws(CVRNetError) {
        inputShape = input
        // Buffers: 0 and 1 take turns holding block inputs and outputs, 2 and 3 a block's inner maps.
        var need = WorkspaceRequirement(buffers: 4)
        let eps = names.batchNormEpsilon
        // Summed in double: the raw 0..255 input makes this the float32 sum with the largest
        // rounding error of the network (see `DoubleAccumulation`).
        stem = Convolution2D(window: WindowGeometry(kernel: 7, stride: 2, padding: .uniform(3)),
                             inputChannels: input.channels, outputChannels: 64, accumulation: .double)
        try source.load(stem, layer: names.stemConv, hasBias: true, batchNorm: names.stemBatchNorm, epsilon: eps)
        let stemOut = stem.outputShape(for: input)
        need.note(buffer: 0, stemOut)
        need.note(scratch: stem.scratchCount(for: input))
        let (ph, pw) = stemPool.outputSize(height: stemOut.height, width: stemOut.width)
        var shape = FeatureMapShape(height: ph, width: pw, channels: 64)
        need.note(buffer: 1, shape)
        var xRole = 1  // which of buffers 0 and 1 holds the current block input (as in `forward`)

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
                if shortcut != nil {
                    xRole = 1 - xRole  // a projection block writes the other buffer, then they swap
                }
                need.note(buffer: xRole, out)  // identity blocks add in place
                need.note(buffer: 2, mid)
                need.note(buffer: 3, mid)
                need.note(scratch: reduce.scratchCount(for: shape), spatial.scratchCount(for: mid), shortcut?.scratchCount(for: shape) ?? 0)
                built.append(Bottleneck(reduce: reduce, spatial: spatial, expand: expand, shortcut: shortcut, inputShape: shape))
                shape = out
            }
        }
        blocks = built
        outputShape = shape
        requirement = need
    }

    /// Index of the block whose output is the stage-`n` output.
    static func lastBlockIndex(ofStage n: Int) -> Int {
        var index = -1
        for (stage, count, _, _) in stages where stage <= n { index += count }
        return index
    }

    /// Runs the encoder on one 224x224x3 image; returns the buffer holding the 7x7x2048 output.
    /// `onStageOutput` is called with the stage-3 and stage-4 outputs (heads 3 and 2).
    /// `budget` gives the threads for the stem and for each block, asked anew before every block
    /// (see `ThreadBudget`).
    func forward(_ image: UnsafePointer<Float>, arena ws: Arena, budget: ThreadBudget,
                 onStageOutput: (_ stage: Int, _ map: UnsafePointer<Float>, _ shape: FeatureMapShape) -> Void) -> UnsafeMutablePointer<Float> {
        let stemOut = stem.outputShape(for: inputShape)
        let stemContext = budget.context()
        stem.forward(input: image, inputShape: inputShape, output: ws.buffer(0), scratch: ws.scratch.pointer, activation: .relu,
                     context: stemContext)
        // pool1_pad (ZeroPadding2D 1) + pool1_pool (MaxPooling2D 3/2 valid): padded zeros are candidates.
        maxPooling2D(input: ws.buffer(0), shape: stemOut, window: stemPool, padValue: .zero, output: ws.buffer(1),
                     context: stemContext)
        var x = ws.buffer(1), y = ws.buffer(0)
        let t1 = ws.buffer(2), t2 = ws.buffer(3)
        let stage3 = Self.lastBlockIndex(ofStage: 3), stage4 = Self.lastBlockIndex(ofStage: 4)
        for (i, b) in blocks.enumerated() {
            let context = budget.context()
            let mid = b.reduce.outputShape(for: b.inputShape)
            b.reduce.forward(input: x, inputShape: b.inputShape, output: t1, scratch: ws.scratch.pointer, activation: .relu,
                            context: context)
            b.spatial.forward(input: t1, inputShape: mid, output: t2, scratch: ws.scratch.pointer, activation: .relu,
                             context: context)
            if let shortcut = b.shortcut {
                shortcut.forward(input: x, inputShape: b.inputShape, output: y, scratch: ws.scratch.pointer, activation: .identity,
                                 context: context)
                b.expand.forward(input: t2, inputShape: mid, output: y, scratch: nil, activation: .relu, accumulate: true,
                                 context: context)
                swap(&x, &y)
            } else {
                // Identity shortcut: accumulate into the block input in place (it is not needed after).
                b.expand.forward(input: t2, inputShape: mid, output: x, scratch: nil, activation: .relu, accumulate: true,
                                 context: context)
            }
            if i == stage3 { onStageOutput(3, x, b.expand.outputShape(for: mid)) }
            if i == stage4 { onStageOutput(4, x, b.expand.outputShape(for: mid)) }
        }
        return x
    }
}
