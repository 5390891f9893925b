import CVRNetKernels

/// Xception without its top (`include_top=False`), as Keras builds it:
/// entry flow (two plain convs, then blocks 2-4 of two SeparableConv2D with a strided 1x1
/// residual), middle flow (blocks 5-12: three ReLU-SepConv-BN, identity residual) and exit flow
/// (block 13 with residual, block 14). Every conv has no bias; BatchNorm (epsilon 1e-3) is folded.
///
/// Max pooling is Keras `MaxPooling2D(3, strides=2, padding="same")`: TensorFlow's asymmetric
/// padding (extra row/column bottom/right), padded cells never win.
final class XceptionEncoder: @unchecked Sendable {
    /// A down-sampling block (2, 3, 4, 13): [ReLU] SepConv-BN-ReLU-SepConv-BN, MaxPool, + residual.
    struct DownsamplingBlock {
        let number: Int
        let reluInput: Bool
        let first: SeparableConvolution2D
        let second: SeparableConvolution2D
        let residual: Convolution2D
        let pool: WindowGeometry
        let inputShape: FeatureMapShape
        /// Set when the block runs over bands of rows (its SepConv maps are never whole).
        let bands: DownsamplingBands?

        /// The pooled map with the residual added.
        var outputShape: FeatureMapShape { residual.outputShape(for: inputShape) }
        /// Floats of the first SepConv's map (or of its rows a band holds at once).
        var firstMapFloats: Int { (bands?.firstRows ?? inputShape.height) * inputShape.width * first.outputChannels }
        /// Floats of the second SepConv's map (or of its rows a band holds at once).
        var secondMapFloats: Int { (bands?.secondRows ?? inputShape.height) * inputShape.width * second.outputChannels }
        /// Floats of scratch: the depthwise bands and the residual's strided gather.
        var scratchFloats: Int {
            let mid = FeatureMapShape(height: inputShape.height, width: inputShape.width, channels: first.outputChannels)
            return max(residual.scratchCount(for: inputShape), first.scratchCount(for: inputShape), second.scratchCount(for: mid))
        }
    }

    /// A middle-flow block: three (ReLU, SepConv 728, BN), plus the block input.
    struct MiddleBlock {
        let convs: [SeparableConvolution2D]
    }

    static let epsilon = CVRNetLayout.xceptionBatchNormEpsilon

    /// The down-sampling blocks whose second SepConv-BN map CVR-Net's heads read: they run on
    /// whole maps. The others (2 and 3, the largest maps) run in bands (`DownsamplingBands`),
    /// so no 109x109x128 SepConv map is ever whole in the arena.
    static let headTapBlocks = Set(CVRNetLayout.xceptionHeadTapBlocks.keys)

    let inputShape: FeatureMapShape
    let conv1: Convolution2D
    let conv2: Convolution2D
    let entry: [DownsamplingBlock]
    let middle: [MiddleBlock]
    let exit: DownsamplingBlock
    let block14: (SeparableConvolution2D, SeparableConvolution2D)
    let middleShape: FeatureMapShape
    let outputShape: FeatureMapShape
    /// The forward pass as steps over planned tensors; it shows blocks 4 and 13's second
    /// SepConv-BN maps (heads 4 and 5) and the output (head 1's second part) as taps.
    let plan: ExecutionPlan
    /// `entryFlowSteps[n]`: the steps of conv1, conv2 and the first `n` entry-flow blocks.
    let entryFlowSteps: [Int]

    init(input: FeatureMapShape, names: XceptionLayerNames, source: LayerWeightSource) throws(CVRNetError) {
        inputShape = input
        let eps = Self.epsilon
        var plan = ExecutionPlanBuilder(inputShape: input)

        conv1 = Convolution2D(window: WindowGeometry(kernel: 3, stride: 2, padding: .valid), inputChannels: input.channels, outputChannels: 32)
        try source.load(conv1, layer: names.prefix + "block1_conv1", hasBias: false, batchNorm: names.prefix + "block1_conv1_bn", epsilon: eps)
        let s1 = conv1.outputShape(for: input)
        conv2 = Convolution2D(window: WindowGeometry(kernel: 3, stride: 1, padding: .valid), inputChannels: 32, outputChannels: 64)
        try source.load(conv2, layer: names.prefix + "block1_conv2", hasBias: false, batchNorm: names.prefix + "block1_conv2_bn", epsilon: eps)
        var shape = conv2.outputShape(for: s1)
        let conv1Map = plan.tensor("block1_conv1", s1)
        var x = plan.tensor("block1_conv2", shape)
        plan.append(.convolution(conv1, input: plan.input, inputShape: input, output: conv1Map,
                                 scratch: plan.scratch("block1_conv1", floats: conv1.scratchCount(for: input)),
                                 activation: .relu, accumulate: false))
        plan.append(.convolution(conv2, input: conv1Map, inputShape: s1, output: x,
                                 scratch: plan.scratch("block1_conv2", floats: conv2.scratchCount(for: s1)),
                                 activation: .relu, accumulate: false))

        func separable(_ block: Int, _ index: Int, _ cin: Int, _ cout: Int) throws(CVRNetError) -> SeparableConvolution2D {
            let s = SeparableConvolution2D(inputChannels: cin, outputChannels: cout)
            let name = names.prefix + "block\(block)_sepconv\(index)"
            try source.load(s, layer: name, batchNorm: name + "_bn", epsilon: eps)
            return s
        }
        func downsampling(_ block: Int, _ residualIndex: Int, _ mid: Int, _ out: Int, reluInput: Bool,
                          at shape: FeatureMapShape) throws(CVRNetError) -> DownsamplingBlock {
            let first = try separable(block, 1, shape.channels, mid)
            let second = try separable(block, 2, mid, out)
            let pad = Padding2D.tensorflowSame(input: (shape.height, shape.width), kernel: (3, 3), stride: (2, 2))
            let pool = WindowGeometry(kernel: 3, stride: 2, padding: pad)
            let rpad = Padding2D.tensorflowSame(input: (shape.height, shape.width), kernel: (1, 1), stride: (2, 2))
            let residual = Convolution2D(window: WindowGeometry(kernel: 1, stride: 2, padding: rpad),
                                         inputChannels: shape.channels, outputChannels: out)
            let (conv, bn) = names.residualLayers[residualIndex]
            try source.load(residual, layer: conv, hasBias: false, batchNorm: bn, epsilon: eps)
            var bands: DownsamplingBands?
            if !Self.headTapBlocks.contains(block) {
                // Bands of pooled rows whose SepConv rows stay within about one im2col band.
                let rowFloats = shape.width * max(mid, out)
                let perBand = max(1, (Convolution2D.bandFloats / rowFloats - 1) / 2)
                bands = DownsamplingBands(inputHeight: shape.height, pool: pool, pooledRowsPerBand: perBand)
            }
            return DownsamplingBlock(number: block, reluInput: reluInput, first: first, second: second,
                                     residual: residual, pool: pool, inputShape: shape, bands: bands)
        }
        /// Appends a down-sampling block's step; returns its output tensor.
        func append(_ b: DownsamplingBlock, input: TensorID) -> TensorID {
            let name = "block\(b.number)"
            let out = plan.tensor(name + " out", b.outputShape)
            let first = plan.tensor(name + "_sepconv1", floats: b.firstMapFloats)
            let second = plan.tensor(name + "_sepconv2", floats: b.secondMapFloats)
            let scratch = plan.tensor(name + " scratch", floats: b.scratchFloats)
            let tap = CVRNetLayout.xceptionHeadTapBlocks[b.number].map { TapPoint(head: $0, part: 0) }
            plan.append(.downsampling(b, input: input, output: out, first: first, second: second, scratch: scratch, tap: tap),
                        startsBlock: true)
            return out
        }

        var blocks: [DownsamplingBlock] = []
        var entrySteps = [plan.nextStep]
        for (i, (block, filters)) in [(2, 128), (3, 256), (4, 728)].enumerated() {
            let b = try downsampling(block, i, filters, filters, reluInput: block != 2, at: shape)
            blocks.append(b)
            x = append(b, input: x)
            shape = b.outputShape
            entrySteps.append(plan.nextStep)
        }
        entry = blocks
        entryFlowSteps = entrySteps
        middleShape = shape
        var mids: [MiddleBlock] = []
        for block in 5...12 {
            let m = MiddleBlock(convs: [try separable(block, 1, 728, 728), try separable(block, 2, 728, 728),
                                        try separable(block, 3, 728, 728)])
            mids.append(m)
            // x + BN(SepConv(ReLU(BN(SepConv(ReLU(BN(SepConv(ReLU(x))))))))), the residual added in place.
            let name = "block\(block)"
            let t = plan.tensor(name + "_sepconv1", shape), u = plan.tensor(name + "_sepconv2", shape)
            for (i, (input, output)) in [(x, t), (t, u), (u, x)].enumerated() {
                let conv = m.convs[i]
                plan.append(.separableConvolution(conv, input: input, shape: shape, reluInput: i == 0, output: output,
                                                  scratch: plan.tensor(name + "_sepconv\(i + 1) scratch", floats: conv.scratchCount(for: shape)),
                                                  activation: i == 2 ? .identity : .relu, accumulate: i == 2),
                            startsBlock: i == 0)
            }
        }
        middle = mids
        exit = try downsampling(13, 3, 728, 1024, reluInput: true, at: shape)
        x = append(exit, input: x)
        shape = exit.outputShape
        block14 = (try separable(14, 1, 1024, 1536), try separable(14, 2, 1536, 2048))
        let block14Mid = FeatureMapShape(height: shape.height, width: shape.width, channels: 1536)
        outputShape = FeatureMapShape(height: shape.height, width: shape.width, channels: 2048)
        let t = plan.tensor("block14_sepconv1", block14Mid), y = plan.tensor("block14_sepconv2", outputShape)
        plan.append(.separableConvolution(block14.0, input: x, shape: shape, reluInput: false, output: t,
                                          scratch: plan.tensor("block14_sepconv1 scratch", floats: block14.0.scratchCount(for: shape)),
                                          activation: .relu, accumulate: false))
        plan.append(.separableConvolution(block14.1, input: t, shape: block14Mid, reluInput: false, output: y,
                                          scratch: plan.tensor("block14_sepconv2 scratch", floats: block14.1.scratchCount(for: block14Mid)),
                                          activation: .relu, accumulate: false))
        // Concatenate([resnet, xception]): Xception's channels are head 1's second part.
        plan.append(.tap(TapPoint(head: .fused7x7, part: 1), tensor: y, shape: outputShape))
        self.plan = plan.build()
    }
}

extension XceptionEncoder.DownsamplingBlock {
    /// Runs the block from `x` into `out`: the two SepConv maps (or their bands) go to `first`
    /// and `second` (`firstMapFloats`, `secondMapFloats`), the depthwise bands and the
    /// residual's gather to `scratch` (`scratchFloats`); `onTap` sees the second SepConv-BN map
    /// when the block runs on whole maps.
    func forward(x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, first t: UnsafeMutablePointer<Float>,
                 second u: UnsafeMutablePointer<Float>, scratch dw: UnsafeMutablePointer<Float>, context: ComputeContext,
                 onTap: (UnsafePointer<Float>, FeatureMapShape) -> Void) {
        let s = inputShape
        let midShape = FeatureMapShape(height: s.height, width: s.width, channels: first.outputChannels)
        let tapShape = FeatureMapShape(height: s.height, width: s.width, channels: second.outputChannels)
        if let plan = bands {
            var firstMap = RowWindow(base: t, rowFloats: s.width * midShape.channels)
            var secondMap = RowWindow(base: u, rowFloats: s.width * tapShape.channels)
            let pooledRowFloats = pool.outputSize(height: s.height, width: s.width).width * tapShape.channels
            for band in plan.bands {
                let newFirst = firstMap.slide(to: band.first)
                if !newFirst.isEmpty {
                    first.forward(input: x, shape: s, reluInput: reluInput, scratch: dw, outputRows: newFirst,
                                  output: firstMap.pointer(row: newFirst.lowerBound), activation: .relu, context: context)
                }
                let newSecond = secondMap.slide(to: band.second)
                if !newSecond.isEmpty {
                    second.forward(input: t, shape: midShape, inputFirstRow: firstMap.rows.lowerBound, reluInput: false,
                                   scratch: dw, outputRows: newSecond, output: secondMap.pointer(row: newSecond.lowerBound),
                                   activation: .identity, context: context)
                }
                maxPooling2D(input: u, shape: tapShape, inputFirstRow: secondMap.rows.lowerBound, window: pool,
                             padValue: .ignored, outputRows: band.pooled, output: out + band.pooled.lowerBound * pooledRowFloats,
                             context: context)
            }
        } else {
            first.forward(input: x, shape: s, reluInput: reluInput, scratch: dw, output: t, activation: .relu, context: context)
            second.forward(input: t, shape: midShape, reluInput: false, scratch: dw, output: u, activation: .identity, context: context)
            onTap(u, tapShape)
            maxPooling2D(input: u, shape: tapShape, window: pool, padValue: .ignored, output: out, context: context)
        }
        // Keras: add([pooled, residual]); the residual conv accumulates onto the pooled map.
        residual.forward(input: x, inputShape: s, output: out, scratch: dw, activation: .identity, accumulate: true,
                         context: context)
    }
}
