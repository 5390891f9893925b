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
        tapKeepingPlans = (resnet.plan.keeping(Set(resnet.plan.taps.values.map(\.tensor))),
                           xception.plan.keeping(Set(xception.plan.taps.values.map(\.tensor))))
    }

    /// The encoders' plans with every tapped map kept to the end of the pass, for Grad-CAM.
    let tapKeepingPlans: (resnet: ExecutionPlan, xception: ExecutionPlan)

    /// A workspace for this graph's plans (see `Workspace.Kind`).
    func makeWorkspace(_ kind: Workspace.Kind) -> Workspace {
        let keeping = kind == .keepingTaps
        return Workspace(kind, resnet: keeping ? tapKeepingPlans.resnet : resnet.plan,
                         xception: keeping ? tapKeepingPlans.xception : xception.plan,
                         pooledChannels: CVRNetLayout.headInputs(resnetOutput: resnet.outputShape.channels,
                                                                 xceptionOutput: xception.outputShape.channels))
    }

    /// After a pass in a `.keepingTaps` workspace: every tapped map, read from the arenas.
    func forEachTappedMap(in ws: Workspace, _ body: (TapPoint, UnsafePointer<Float>, FeatureMapShape) -> Void) {
        precondition(ws.kind == .keepingTaps, "only a workspace keeping the taps holds them after the pass")
        for (plan, arena) in [(ws.resnetPlan, ws.resnet), (ws.xceptionPlan, ws.xception)] {
            for (point, tap) in plan.taps {
                body(point, plan.arenaView(tap.tensor, arena: arena).pointer(for: tap.shape), tap.shape)
            }
        }
    }

    /// Runs one image (HWC, 224x224x3) and writes `classes` probabilities per head into
    /// `headProbabilities` (5 x classes, head order) and their mean into `probabilities`.
    ///
    /// Each encoder runs its `ExecutionPlan`; every map a head reads arrives as a tap, is shown
    /// to `observer` and pooled into the head's input (`GlobalAveragePooling2D`).
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
        let pooled = ws.pooledPointers
        let resnetChannels = resnet.outputShape.channels
        // Each encoder taps only its own maps and pools into its own vectors (head 1: ResNet50's
        // channels first, then Xception's, as Concatenate([resnet, xception]) then GAP).
        let tap: PlanExecutor.TapSink = { point, map, shape in
            observer?(point.head, point.part, map, shape)
            let offset = point.part == 1 ? resnetChannels : 0
            globalAveragePooling2D(input: map, shape: shape, output: pooled[point.head.rawValue - 1] + offset)
        }
        let parallel = encodersInParallel && (observer == nil || observerIsConcurrent)
        precondition(!parallel || !ws.sharesArena, "encoders side by side need a workspace with an arena each")
        let resnetPlan = ws.resnetPlan, xceptionPlan = ws.xceptionPlan
        let xceptionSteps = xceptionPlan.steps.indices
        if parallel {
            // Xception is about 35% more work than ResNet50: its first layers (the largest maps,
            // which split well between cores) run on every core before the two encoders start side
            // by side, so that both finish at about the same time. Whichever encoder finishes
            // first then hands its threads to the other one (`ThreadBudget`).
            let lead = xception.entryFlowSteps[Self.xceptionLeadBlocks]
            PlanExecutor.run(xceptionPlan, steps: 0..<lead, image: image, arena: ws.xception,
                             threads: .context(context), tap: tap)
            let budget = ThreadBudget(context, tasks: 2)
            context.concurrently(2) { i, _ in
                if i == 0 {
                    PlanExecutor.run(xceptionPlan, steps: lead..<xceptionSteps.upperBound, image: image,
                                     arena: ws.xception, threads: .budget(budget), tap: tap)
                } else {
                    PlanExecutor.run(resnetPlan, image: image, arena: ws.resnet, threads: .budget(budget), tap: tap)
                }
                budget.finish()
            }
        } else {
            // One after the other (the arena may be shared): ResNet50 first, then Xception.
            PlanExecutor.run(resnetPlan, image: image, arena: ws.resnet, threads: .context(context), tap: tap)
            PlanExecutor.run(xceptionPlan, image: image, arena: ws.xception, threads: .context(context), tap: tap)
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
