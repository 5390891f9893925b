import CVRNetKernels
import ImageInput

extension CVRNetModel {
    /// Grad-CAM of every head for one class (default: the top class of the averaged prediction)
    /// on an input tensor as for `predict(pixels:)`. See ``GradCAMExplanation`` for the maps
    /// and the exact combination rule. Thread-safe like `predict`.
    ///
    /// Cost: one forward pass (the encoders still run side by side, in plans that keep the five
    /// tapped maps in their arenas: 6 MB more per workspace) plus copying those maps out (1.6 M floats), the heads' Dense layers forward and backward once
    /// more, the weighted sums and the resizing. Measured in-process (median of 9 interleaved
    /// runs on a heavily shared 2-core machine): the part after the forward pass 30 ms;
    /// `explain` 553 ms against `predict` 478 ms.
    ///
    /// - Throws: `.inputSize` for a tensor of the wrong size, `.classIndex` for a class out of range.
    public func explain(pixels: [Float], classIndex: Int? = nil) throws(CVRNetError) -> GradCAMExplanation {
        let expected = Self.inputWidth * Self.inputHeight * Self.inputChannels
        guard pixels.count == expected else { throw .inputSize(found: pixels.count, expected: expected) }
        if let classIndex, !(0..<classCount).contains(classIndex) {
            throw .classIndex(given: classIndex, classes: classCount)
        }
        // The pass keeps every tapped map in its arena (`Graph.tapKeepingPlans`); they are copied
        // out before the workspace goes back to the pool.
        let maps = TappedMaps()
        let prediction = pixels.withUnsafeBufferPointer {
            pass($0.baseAddress!, workspace: .keepingTaps, encodersInParallel: encodersInParallel) { prediction, ws in
                graph.forEachTappedMap(in: ws) { point, map, shape in maps.observe(point.head, point.part, map, shape) }
                return prediction
            }
        }
        let target = classIndex ?? prediction.topIndex
        let heads = HeadScale.allCases.map { scale -> HeadExplanation in
            let head = graph.heads[scale.rawValue - 1]
            let parts = maps.parts(scale)
            let pooled = parts.flatMap { GlobalAverage.pool($0.map, channels: $0.channels) }
            let gradient = pooled.withUnsafeBufferPointer { head.gradient(pooled: $0.baseAddress!, classIndex: target) }
            let shape = maps.shape(scale)
            let map = GradCAMMap.weightedSum(parts: parts, positions: shape.height * shape.width,
                                             pooledGradient: gradient.pooledGradient)
            return HeadExplanation(scale: scale, height: shape.height, width: shape.width, map: map, logits: gradient.logits)
        }
        let size = GradCAMExplanation.combinedSize
        var combined = [Float](repeating: 0, count: size * size)
        for head in heads {
            let up = BilinearResize.resize(head.normalizedMap, height: head.height, width: head.width,
                                           outHeight: size, outWidth: size)
            for i in combined.indices { combined[i] += up[i] }
        }
        for i in combined.indices { combined[i] /= Float(heads.count) }
        return GradCAMExplanation(prediction: prediction, classIndex: target, heads: heads, combined: combined)
    }

    /// Grad-CAM of a decoded image (see `explain(pixels:classIndex:)`).
    public func explain(_ image: ModelInputImage, classIndex: Int? = nil,
                        preprocessing: InputPreprocessing = .none) throws(CVRNetError) -> GradCAMExplanation {
        var pixels = image.pixels
        preprocessing.apply(to: &pixels)
        return try explain(pixels: pixels, classIndex: classIndex)
    }

    /// Loads the image at `path` as `predict(imageAt:)` does and explains it
    /// (see `explain(pixels:classIndex:)`).
    public func explain(imageAt path: String, classIndex: Int? = nil, loader: KerasImageLoader = KerasImageLoader(),
                        preprocessing: InputPreprocessing = .none) throws(CVRNetError) -> GradCAMExplanation {
        let image: ModelInputImage
        do { image = try loader.load(path: path) } catch { throw .image(error) }
        return try explain(image, classIndex: classIndex, preprocessing: preprocessing)
    }
}

/// The five tapped feature maps of one forward pass, copied out of the arena after it (or, as a
/// `TapObserver`, as they are produced). Each (head, part) has its own slot written once, so the
/// two encoders' threads may fill it at the same time; it is read only after the pass.
final class TappedMaps: @unchecked Sendable {
    /// One map (or half of head 1's), written by exactly one callback.
    private final class Slot: @unchecked Sendable {
        var shape = FeatureMapShape(height: 0, width: 0, channels: 0)
        var map: [Float] = []
    }
    /// Per head, its parts; the arrays themselves are never mutated, only the slots.
    private let slots: [[Slot]] = HeadScale.allCases.map { $0 == .fused7x7 ? [Slot(), Slot()] : [Slot()] }

    func observe(_ head: HeadScale, _ part: Int, _ map: UnsafePointer<Float>, _ shape: FeatureMapShape) {
        let slot = slots[head.rawValue - 1][part]
        slot.map = Array(UnsafeBufferPointer(start: map, count: shape.count))
        slot.shape = shape
    }

    /// The map in channel blocks (head 1: ResNet50's channels, then Xception's).
    func parts(_ head: HeadScale) -> [(map: [Float], channels: Int)] {
        slots[head.rawValue - 1].map { ($0.map, $0.shape.channels) }
    }

    func shape(_ head: HeadScale) -> FeatureMapShape { slots[head.rawValue - 1][0].shape }
}

/// GlobalAveragePooling2D of an HWC map given as an array (Keras: sum over positions / count).
enum GlobalAverage {
    static func pool(_ map: [Float], channels: Int) -> [Float] {
        var out = [Float](repeating: 0, count: channels)
        map.withUnsafeBufferPointer { m in
            out.withUnsafeMutableBufferPointer { o in
                globalAveragePooling2D(input: m.baseAddress!,
                                       shape: FeatureMapShape(height: m.count / channels, width: 1, channels: channels),
                                       output: o.baseAddress!)
            }
        }
        return out
    }
}
