@testable import CVRNet
import CVRNetKernels
import Foundation
import ImageInput
import TestSupport
import Testing

/// The encoders' execution plans for the reference weights: every arena layout is free of
/// overlaps between tensors alive at the same time, every head's map is tapped once, Grad-CAM's
/// plans keep those maps, and reading them from the arena after the pass gives the maps the
/// pass showed while it ran, bit for bit.
struct ExecutionPlanTests {
    static func model() throws -> CVRNetModel {
        let url = RepositoryPaths.weights.appendingPathComponent(RepositoryPaths.referenceWeightsFiles[0])
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw GeneratedFileMissing(message: RepositoryPaths.missingGeneratedFile(url))
        }
        return try CVRNetModel(weightsPath: url.path)
    }

    @Test func layoutsHaveNoConflicts() throws {
        let graph = try Self.model().graph
        for plan in [graph.resnet.plan, graph.xception.plan, graph.tapKeepingPlans.resnet, graph.tapKeepingPlans.xception] {
            #expect(plan.layout.conflicts.isEmpty, "\(plan.summary)")
            // Every arena tensor some step uses has a place; the input has none.
            for (i, t) in plan.tensors.enumerated() where t.storage == .arena {
                #expect(plan.layout.offsets[i] != nil, "\(t.name) unused")
            }
        }
    }

    @Test func everyHeadMapIsTappedOnce() throws {
        let graph = try Self.model().graph
        let resnet = graph.resnet.plan.taps, xception = graph.xception.plan.taps
        #expect(Set(resnet.keys) == [TapPoint(head: .fused7x7, part: 0), TapPoint(head: .resnet14x14, part: 0),
                                     TapPoint(head: .resnet28x28, part: 0)])
        #expect(Set(xception.keys) == [TapPoint(head: .fused7x7, part: 1), TapPoint(head: .xception28x28, part: 0),
                                       TapPoint(head: .xception14x14, part: 0)])
        #expect(resnet[TapPoint(head: .resnet28x28, part: 0)]?.shape == FeatureMapShape(height: 28, width: 28, channels: 512))
        #expect(xception[TapPoint(head: .xception14x14, part: 0)]?.shape == FeatureMapShape(height: 14, width: 14, channels: 1024))
    }

    /// The kept maps, read from the arena after the pass, equal what an observer copied while
    /// the pass ran; in the plain plans the same tensors' memory is reused before the end.
    @Test func keptMapsAreTheMapsThePassShowed() throws {
        let model = try Self.model()
        let image = try KerasImageLoader().load(path: RepositoryPaths.sampleImages.appendingPathComponent("png-rgb8-333x287.png").path)
        let observed = TappedMaps()
        let plain = image.pixels.withUnsafeBufferPointer { model.run($0.baseAddress!, observer: observed.observe) }
        let kept = TappedMaps()
        let fromArena = image.pixels.withUnsafeBufferPointer {
            model.pass($0.baseAddress!, workspace: .keepingTaps, encodersInParallel: true) { prediction, ws in
                model.graph.forEachTappedMap(in: ws) { point, map, shape in kept.observe(point.head, point.part, map, shape) }
                return prediction
            }
        }
        #expect(fromArena.probabilities.map(\.bitPattern) == plain.probabilities.map(\.bitPattern))
        for scale in HeadScale.allCases {
            let a = observed.parts(scale), b = kept.parts(scale)
            #expect(a.count == b.count)
            for (x, y) in zip(a, b) {
                #expect(x.channels == y.channels)
                #expect(x.map.map(\.bitPattern) == y.map.map(\.bitPattern), "\(scale)")
            }
        }
        // Without keeping, some tapped tensor shares memory with a later one.
        let plan = model.graph.xception.plan
        let tapped = plan.taps[TapPoint(head: .xception28x28, part: 0)]!.tensor
        let life = plan.layout.lifetimes[tapped.index]!
        #expect(life.upperBound < plan.steps.count)
    }

    /// A planned arena is never larger than the fixed scheme it replaced could be at most (four
    /// buffers as large as the largest map, plus the largest scratch).
    @Test func arenaIsWithinFourLargestMapsAndScratch() throws {
        let graph = try Self.model().graph
        for plan in [graph.resnet.plan, graph.xception.plan] {
            let maps = plan.tensors.filter { $0.storage == .arena && !$0.name.hasSuffix("scratch") }.map(\.capacity)
            let scratch = plan.tensors.filter { $0.name.hasSuffix("scratch") }.map(\.capacity).max() ?? 0
            let largest = maps.max() ?? 0
            #expect(plan.arenaFloats <= 4 * largest + scratch, "\(plan.summary)")
        }
    }

    /// The profile times every step of both plans, in plan order, and names each one.
    @Test func profileCoversEveryStep() throws {
        let model = try Self.model()
        let image = try KerasImageLoader().load(path: RepositoryPaths.sampleImages.appendingPathComponent("png-rgb8-333x287.png").path)
        let steps = try model.profileSteps(pixels: image.pixels, runs: 1)
        let graph = model.graph
        #expect(steps.count == graph.resnet.plan.steps.count + graph.xception.plan.steps.count)
        #expect(steps.filter { $0.encoder == "ResNet50" }.map(\.index) == Array(graph.resnet.plan.steps.indices))
        #expect(steps.allSatisfy { $0.milliseconds >= 0 && !$0.label.isEmpty })
        #expect(steps.contains { $0.label.hasPrefix("conv 7x7/2 float64") })
        #expect(throws: CVRNetError.inputSize(found: 3, expected: 224 * 224 * 3)) { try model.profileSteps(pixels: [0, 0, 0]) }
    }
}
