import CVRNetKernels

/// The whole CVR-Net: one 224x224x3 input into ResNet50 and Xception, five heads on five taps,
/// the plain mean of the five softmax outputs (Keras `Average`).
final class CVRNetGraph: @unchecked Sendable {
    static let inputShape = CVRNetLayout.inputShape
    /// Xception entry-flow blocks run on every core before the encoders run side by side
    /// (serial CPU per image: ResNet50 61 ms, Xception 90 ms). Median batch-1 times, interleaved
    /// runs on a shared machine: 92.4 ms for 1 block, 88.9/89.0/89.7 for 2 and 84.5/86.4/83.3 for
    /// all 3 (blocks 2, 3 and 4).
    static let xceptionLeadBlocks = 3

    let resnet: ResNet50Encoder
    let xception: XceptionEncoder
    let heads: [ClassificationHead]   // in HeadScale order
    let classes: Int

    init(resnet: ResNet50Encoder, xception: XceptionEncoder, heads: [ClassificationHead]) {
        self.resnet = resnet
        self.xception = xception
        self.heads = heads
        classes = heads[0].classes
    }

    /// A workspace sized for this graph: for running the encoders side by side (`forward`'s
    /// `encodersInParallel`), or a smaller one for running them one after the other.
    func makeWorkspace(encodersSideBySide: Bool) -> Workspace {
        Workspace(resnet: resnet.requirement, xception: xception.requirement,
                  pooledChannels: CVRNetLayout.headInputs(resnetOutput: resnet.outputShape.channels,
                                                  xceptionOutput: xception.outputShape.channels),
                  encodersSideBySide: encodersSideBySide)
    }

    /// Runs one image (HWC, 224x224x3) and writes `classes` probabilities per head into
    /// `headProbabilities` (5 x classes, head order) and their mean into `probabilities`.
    ///
    /// - Parameter context: the threads the pass may use.
    /// - Parameter encodersInParallel: run ResNet50 and Xception at the same time, each with half
    ///   of `context`'s threads, instead of one after the other with every layer split across
    ///   all of them; the encoder still running when the other finishes takes over all the
    ///   threads. Same arithmetic either way, so the same result bit for bit.
    /// - Parameter observerIsConcurrent: `observer` may be called from both encoders' threads at
    ///   once (it writes each head's map to memory of its own), so an observed pass may still run
    ///   the encoders side by side. Otherwise an observed pass runs them one after the other.
    func forward(_ image: UnsafePointer<Float>, workspace ws: Workspace,
                 headProbabilities: UnsafeMutablePointer<Float>, probabilities: UnsafeMutablePointer<Float>,
                 context: ComputeContext, encodersInParallel: Bool = false, observer: TapObserver? = nil, observerIsConcurrent: Bool = false) {
        let pooled = ws.pooled.map(\.pointer)
        // Each encoder writes only its own arena and its own pooled vectors.
        let runResNet = { (budget: ThreadBudget) in
            let out = self.resnet.forward(image, arena: ws.resnet, budget: budget) { stage, map, shape in
                guard let head = CVRNetLayout.resNet50HeadTapStages[stage] else { return }
                observer?(head, 0, map, shape)
                globalAveragePooling2D(input: map, shape: shape, output: pooled[head.rawValue - 1])
            }
            // Concatenate([resnet, xception]) then GAP == GAP of each half, ResNet's channels first.
            observer?(.fused7x7, 0, out, self.resnet.outputShape)
            globalAveragePooling2D(input: out, shape: self.resnet.outputShape, output: pooled[0])
        }
        let xceptionTap: XceptionEncoder.Tap = { block, map, shape in
            guard let head = CVRNetLayout.xceptionHeadTapBlocks[block] else { return }
            observer?(head, 0, map, shape)
            globalAveragePooling2D(input: map, shape: shape, output: pooled[head.rawValue - 1])
        }
        let parallel = encodersInParallel && (observer == nil || observerIsConcurrent)
        precondition(!parallel || !ws.sharesArena, "encoders side by side need a workspace with an arena each")
        let runXception = { (progress: XceptionEncoder.Progress, budget: ThreadBudget) in
            let out = self.xception.finish(progress, arena: ws.xception, budget: budget, onTap: xceptionTap)
            observer?(.fused7x7, 1, out, self.xception.outputShape)
            globalAveragePooling2D(input: out, shape: self.xception.outputShape, output: pooled[0] + self.resnet.outputShape.channels)
        }
        if parallel {
            // Xception is about 35% more work than ResNet50: its first layers (the largest maps,
            // which split well between cores) run on every core before the two encoders start side
            // by side, so that both finish at about the same time. Whichever encoder finishes
            // first then hands its threads to the other one (`ThreadBudget`).
            let progress = xception.begin(image, arena: ws.xception, entryBlocks: Self.xceptionLeadBlocks,
                                          context: context, onTap: xceptionTap)
            let budget = ThreadBudget(context, tasks: 2)
            context.concurrently(2) { i, _ in
                if i == 0 { runXception(progress, budget) } else { runResNet(budget) }
                budget.finish()
            }
        } else {
            // One after the other (the arena may be shared): ResNet50 first, then Xception.
            let whole = ThreadBudget(context, tasks: 1)
            runResNet(whole)
            runXception(xception.begin(image, arena: ws.xception, entryBlocks: 0, context: context, onTap: xceptionTap), whole)
        }

        for (i, head) in heads.enumerated() {
            head.forward(pooled: pooled[i], scratch: ws.headScratch.pointer, probabilities: headProbabilities + i * classes)
        }
        // Keras Average: sum of the inputs, then divided by their count.
        for c in 0..<classes {
            var sum: Float = 0
            for i in 0..<heads.count { sum += headProbabilities[i * classes + c] }
            probabilities[c] = sum / Float(heads.count)
        }
    }
}

/// Receives tapped feature maps during a forward pass (debugging and parity tests only).
/// Head 1's map arrives in two halves: ResNet50's 2048 channels, then Xception's, each 7x7.
typealias TapObserver = (_ head: HeadScale, _ part: Int, _ map: UnsafePointer<Float>, _ shape: FeatureMapShape) -> Void
