import CVRNetKernels

extension CVRNetModel {
    /// Where a forward pass spends its time: runs `runs` passes of one input tensor (as for
    /// `predict(pixels:)`) with the encoders one after the other, every step using all of
    /// `options.threads`, and returns each step's median wall time in plan order (ResNet50's
    /// steps, then Xception's). The heads (microseconds) are not timed. For profiling only;
    /// `predict` is not slowed by it. Thread-safe like `predict`.
    ///
    /// - Throws: `.inputSize` for a tensor of the wrong size.
    public func profileSteps(pixels: [Float], runs: Int = 5) throws(CVRNetError) -> [StepTiming] {
        let expected = Self.inputWidth * Self.inputHeight * Self.inputChannels
        guard pixels.count == expected else { throw .inputSize(found: pixels.count, expected: expected) }
        let ws = pool.take(.sharedArena)
        defer { pool.give(ws) }
        let encoders = [("ResNet50", ws.resnetPlan, ws.resnet), ("Xception", ws.xceptionPlan, ws.xception)]
        var seconds = encoders.map { [[Double]](repeating: [], count: $0.1.steps.count) }
        pixels.withUnsafeBufferPointer { image in
            for _ in 0..<max(1, runs) {
                for (e, (_, plan, arena)) in encoders.enumerated() {
                    PlanExecutor.run(plan, image: image.baseAddress!, arena: arena, threads: .context(context),
                                     tap: { _, _, _ in }, timer: { step, s in seconds[e][step].append(s) })
                }
            }
        }
        var timings: [StepTiming] = []
        for (e, (name, plan, _)) in encoders.enumerated() {
            for (i, times) in seconds[e].enumerated() {
                let sorted = times.sorted()
                timings.append(StepTiming(encoder: name, index: i, label: plan.label(ofStep: i),
                                          milliseconds: sorted[sorted.count / 2] * 1000))
            }
        }
        return timings
    }
}
