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
    }

    /// A middle-flow block: three (ReLU, SepConv 728, BN), plus the block input.
    struct MiddleBlock {
        let convs: [SeparableConvolution2D]
    }

    static let epsilon = CVRNetLayout.xceptionBatchNormEpsilon

    /// The down-sampling blocks whose second SepConv-BN map CVR-Net's heads read: they run on
    /// whole maps. The others (2 and 3, the largest maps) run in bands (`DownsamplingBands`),
    /// which shrinks buffers 2 and 3 of every arena from 109x109x128 to 28x28x728 floats.
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
    let requirement: WorkspaceRequirement

    init(input: FeatureMapShape, names: XceptionLayerNames, source: LayerWeightSource) throws(CVRNetError) {
        inputShape = input
        let eps = Self.epsilon
        // Buffers: 0 and 1 take turns holding block inputs and outputs, 2 and 3 a block's inner maps.
        var need = WorkspaceRequirement(buffers: 4)

        conv1 = Convolution2D(window: WindowGeometry(kernel: 3, stride: 2, padding: .valid), inputChannels: input.channels, outputChannels: 32)
        try source.load(conv1, layer: names.prefix + "block1_conv1", hasBias: false, batchNorm: names.prefix + "block1_conv1_bn", epsilon: eps)
        let s1 = conv1.outputShape(for: input)
        conv2 = Convolution2D(window: WindowGeometry(kernel: 3, stride: 1, padding: .valid), inputChannels: 32, outputChannels: 64)
        try source.load(conv2, layer: names.prefix + "block1_conv2", hasBias: false, batchNorm: names.prefix + "block1_conv2_bn", epsilon: eps)
        var shape = conv2.outputShape(for: s1)
        need.note(buffer: 0, s1)
        need.note(buffer: 1, shape)
        var xRole = 1  // which of buffers 0 and 1 holds the current block input (as in `forward`)
        need.note(scratch: conv1.scratchCount(for: input), conv2.scratchCount(for: s1))

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
            let pooled = residual.outputShape(for: shape)
            // The depthwise bands go to the scratch buffer, as does the residual's strided gather.
            let midShape = FeatureMapShape(height: shape.height, width: shape.width, channels: mid)
            xRole = 1 - xRole  // the pooled sum goes to the other buffer, then they swap
            need.note(buffer: xRole, pooled)
            var bands: DownsamplingBands?
            if Self.headTapBlocks.contains(block) {
                need.note(buffer: 2, midShape)
                need.note(buffer: 3, FeatureMapShape(height: shape.height, width: shape.width, channels: out))
            } else {
                // Bands of pooled rows whose SepConv rows stay within about one im2col band.
                let rowFloats = shape.width * max(mid, out)
                let perBand = max(1, (Convolution2D.bandFloats / rowFloats - 1) / 2)
                let plan = DownsamplingBands(inputHeight: shape.height, pool: pool, pooledRowsPerBand: perBand)
                need.note(buffer: 2, FeatureMapShape(height: plan.firstRows, width: shape.width, channels: mid))
                need.note(buffer: 3, FeatureMapShape(height: plan.secondRows, width: shape.width, channels: out))
                bands = plan
            }
            need.note(scratch: residual.scratchCount(for: shape), first.scratchCount(for: shape), second.scratchCount(for: midShape))
            return DownsamplingBlock(number: block, reluInput: reluInput, first: first, second: second,
                                     residual: residual, pool: pool, inputShape: shape, bands: bands)
        }

        var blocks: [DownsamplingBlock] = []
        for (i, (block, filters)) in [(2, 128), (3, 256), (4, 728)].enumerated() {
            let b = try downsampling(block, i, filters, filters, reluInput: block != 2, at: shape)
            blocks.append(b)
            shape = b.residual.outputShape(for: shape)
        }
        entry = blocks
        middleShape = shape
        var mids: [MiddleBlock] = []
        for block in 5...12 {
            mids.append(MiddleBlock(convs: [try separable(block, 1, 728, 728), try separable(block, 2, 728, 728),
                                            try separable(block, 3, 728, 728)]))
        }
        middle = mids
        exit = try downsampling(13, 3, 728, 1024, reluInput: true, at: shape)
        shape = exit.residual.outputShape(for: shape)
        block14 = (try separable(14, 1, 1024, 1536), try separable(14, 2, 1536, 2048))
        outputShape = FeatureMapShape(height: shape.height, width: shape.width, channels: 2048)
        let block14Mid = FeatureMapShape(height: shape.height, width: shape.width, channels: 1536)
        need.note(buffer: 2, middleShape, block14Mid)
        need.note(buffer: 3, middleShape)
        need.note(buffer: 1 - xRole, outputShape)  // block 14 writes the other buffer
        need.note(scratch: mids[0].convs[0].scratchCount(for: middleShape),
                  block14.0.scratchCount(for: FeatureMapShape(height: shape.height, width: shape.width, channels: 1024)),
                  block14.1.scratchCount(for: block14Mid))
        requirement = need
    }

    /// Where a forward pass stands between two entry-flow blocks.
    struct Progress {
        /// The buffer holding the next block's input, and the other one.
        var x, y: UnsafeMutablePointer<Float>
        /// Entry-flow blocks (of `entry`) already run.
        var entryBlocksDone: Int
    }

    /// Tap callback: a down-sampling block's second SepConv-BN map with its block number
    /// (blocks in `headTapBlocks` only).
    typealias Tap = (_ block: Int, _ map: UnsafePointer<Float>, _ shape: FeatureMapShape) -> Void

    /// Runs the encoder; returns the buffer holding the 7x7x2048 output. `onTap` receives the
    /// second SepConv-BN maps that CVR-Net's heads use (`headTapBlocks`: 4 and 13) with their
    /// block number.
    /// `budget` gives the threads for each block, asked anew before every block (see
    /// `ThreadBudget`).
    func forward(_ image: UnsafePointer<Float>, arena ws: Arena, budget: ThreadBudget,
                 onTap: Tap) -> UnsafeMutablePointer<Float> {
        let progress = begin(image, arena: ws, entryBlocks: 0, context: budget.context(), onTap: onTap)
        return finish(progress, arena: ws, budget: budget, onTap: onTap)
    }

    /// The first part of `forward`: conv1, conv2 and the first `entryBlocks` entry-flow blocks.
    func begin(_ image: UnsafePointer<Float>, arena ws: Arena, entryBlocks: Int, context: ComputeContext,
               onTap: Tap) -> Progress {
        let s1 = conv1.outputShape(for: inputShape)
        conv1.forward(input: image, inputShape: inputShape, output: ws.buffer(0), scratch: ws.scratch.pointer, activation: .relu,
                      context: context)
        conv2.forward(input: ws.buffer(0), inputShape: s1, output: ws.buffer(1), scratch: ws.scratch.pointer, activation: .relu,
                      context: context)
        var progress = Progress(x: ws.buffer(1), y: ws.buffer(0), entryBlocksDone: 0)
        for b in entry.prefix(entryBlocks) {
            b.forward(x: progress.x, out: progress.y, arena: ws, context: context) { map, shape in onTap(b.number, map, shape) }
            swap(&progress.x, &progress.y)
            progress.entryBlocksDone += 1
        }
        return progress
    }

    /// The rest of `forward` after `begin`.
    func finish(_ progress: Progress, arena ws: Arena, budget: ThreadBudget,
                onTap: Tap) -> UnsafeMutablePointer<Float> {
        var x = progress.x, y = progress.y
        for b in entry.dropFirst(progress.entryBlocksDone) {
            b.forward(x: x, out: y, arena: ws, context: budget.context()) { map, shape in onTap(b.number, map, shape) }
            swap(&x, &y)
        }
        let t = ws.buffer(2), u = ws.buffer(3), dw = ws.scratch.pointer
        for m in middle {
            let context = budget.context()
            // x + BN(SepConv(ReLU(BN(SepConv(ReLU(BN(SepConv(ReLU(x))))))))), the residual added in place.
            m.convs[0].forward(input: x, shape: middleShape, reluInput: true, scratch: dw, output: t, activation: .relu,
                               context: context)
            m.convs[1].forward(input: t, shape: middleShape, reluInput: false, scratch: dw, output: u, activation: .relu,
                               context: context)
            m.convs[2].forward(input: u, shape: middleShape, reluInput: false, scratch: dw, output: x,
                               activation: .identity, accumulate: true, context: context)
        }
        let context = budget.context()
        exit.forward(x: x, out: y, arena: ws, context: context) { map, shape in onTap(13, map, shape) }
        swap(&x, &y)
        let s = FeatureMapShape(height: outputShape.height, width: outputShape.width, channels: 1024)
        block14.0.forward(input: x, shape: s, reluInput: false, scratch: dw, output: t, activation: .relu,
                          context: context)
        let s2 = FeatureMapShape(height: s.height, width: s.width, channels: 1536)
        block14.1.forward(input: t, shape: s2, reluInput: false, scratch: dw, output: y, activation: .relu,
                          context: context)
        return y
    }
}

extension XceptionEncoder.DownsamplingBlock {
    /// Runs the block from `x` into `out` (buffers 2 and 3 of `ws` and its scratch are
    /// overwritten); `onTap` sees the second SepConv-BN map when the block runs on whole maps.
    func forward(x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, arena ws: Arena, context: ComputeContext,
                 onTap: (UnsafePointer<Float>, FeatureMapShape) -> Void) {
        let s = inputShape
        let t = ws.buffer(2), u = ws.buffer(3), dw = ws.scratch.pointer
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
