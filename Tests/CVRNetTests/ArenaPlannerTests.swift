@testable import CVRNet
import CVRNetKernels
import Testing

/// The arena planner on small hand-made plans: tensors alive at the same time never share
/// memory, tensors whose lives do not meet do, kept tensors stay to the end, offsets are aligned.
struct ArenaPlannerTests {
    /// A chain input -> a -> b -> c of pooling steps (each reads one tensor, writes the next),
    /// plus an optional tap of `a` after the chain.
    static func chain(sizes: [Int], tapFirstAtEnd: Bool = false, keep: Bool = false) -> (ExecutionPlan, [TensorID]) {
        var b = ExecutionPlanBuilder(inputShape: FeatureMapShape(height: 1, width: 1, channels: 8))
        let window = WindowGeometry(kernel: 1, stride: 1, padding: .valid)
        var ids: [TensorID] = []
        var previous = b.input
        for (i, n) in sizes.enumerated() {
            let t = b.tensor("t\(i)", FeatureMapShape(height: 1, width: 1, channels: n))
            b.append(.maxPooling(window: window, padValue: .ignored, input: previous,
                                 shape: FeatureMapShape(height: 1, width: 1, channels: n), output: t))
            ids.append(t)
            previous = t
        }
        if tapFirstAtEnd {
            b.append(.tap(TapPoint(head: .resnet28x28, part: 0), tensor: ids[0],
                          shape: FeatureMapShape(height: 1, width: 1, channels: sizes[0])))
        }
        return (b.build(keepAlive: keep ? [ids[0]] : []), ids)
    }

    static func range(_ plan: ExecutionPlan, _ t: TensorID) -> Range<Int> {
        let o = plan.layout.offsets[t.index]!
        return o..<(o + plan.layout.sizes[t.index])
    }

    @Test func neighboursInTheChainDoNotOverlapButTheirElders() {
        let (plan, t) = Self.chain(sizes: [100, 200, 100, 50])
        #expect(plan.layout.conflicts.isEmpty)
        // t0 and t1 meet at step 1, t1 and t2 at step 2: disjoint.
        #expect(!Self.range(plan, t[0]).overlaps(Self.range(plan, t[1])))
        #expect(!Self.range(plan, t[1]).overlaps(Self.range(plan, t[2])))
        // t0 is dead when t2 is written: they may share, and the arena is two tensors wide.
        #expect(plan.arenaFloats == 208 + 112)
        for id in t { #expect(plan.layout.offsets[id.index]! % ArenaPlanner.alignment == 0) }
    }

    @Test func aLaterReadExtendsTheLifetime() {
        let (plan, t) = Self.chain(sizes: [100, 200, 100, 50], tapFirstAtEnd: true)
        #expect(plan.layout.conflicts.isEmpty)
        for other in t.dropFirst() { #expect(!Self.range(plan, t[0]).overlaps(Self.range(plan, other))) }
        #expect(plan.layout.lifetimes[t[0].index] == 0...4)
    }

    @Test func keptTensorsLiveToTheEnd() {
        let (plain, t) = Self.chain(sizes: [100, 200, 100, 50])
        let kept = plain.keeping([t[0]])
        #expect(kept.layout.conflicts.isEmpty)
        #expect(kept.layout.lifetimes[t[0].index] == 0...plain.steps.count)
        for other in t.dropFirst() { #expect(!Self.range(kept, t[0]).overlaps(Self.range(kept, other))) }
        #expect(kept.arenaFloats > plain.arenaFloats)
    }

    @Test func theInputIsNotInTheArena() {
        let (plan, _) = Self.chain(sizes: [10])
        #expect(plan.layout.offsets[plan.input.index] == nil)
    }

    /// A deliberately wrong layout is reported (the check the model-plan tests rely on).
    @Test func conflictsAreFound() {
        let layout = ArenaLayout(offsets: [nil, 0, 8], sizes: [0, 16, 16], lifetimes: [nil, 0...2, 1...3], floats: 32)
        #expect(layout.conflicts.count == 1)
        let pastTheEnd = ArenaLayout(offsets: [0], sizes: [64], lifetimes: [0...0], floats: 32)
        #expect(pastTheEnd.conflicts.count == 1)
    }
}
