/// Grad-CAM arithmetic on one head's feature map (Selvaraju et al. 2017, as the Keras example
/// "Grad-CAM class activation visualization" computes it).
enum GradCAMMap {
    /// `map[p] = Σ_c A[p, c] · g[c] / (H·W)`: the channels of the feature map `A` (HWC) weighted
    /// by the mean over positions of d score / d A, which for a GlobalAveragePooling head is
    /// `g[c] / (H·W)` everywhere (`g` = d score / d pooled). Summed in Double, rounded once.
    ///
    /// - Parameter parts: the map in channel blocks (head 1: ResNet50's 2048 channels, then
    ///   Xception's, as Keras's Concatenate lays them out), each `positions x channels`.
    static func weightedSum(parts: [(map: [Float], channels: Int)], positions: Int, pooledGradient g: [Float]) -> [Float] {
        var sums = [Double](repeating: 0, count: positions)
        var offset = 0
        for part in parts {
            part.map.withUnsafeBufferPointer { a in
                g.withUnsafeBufferPointer { g in
                    for p in 0..<positions {
                        let row = a.baseAddress! + p * part.channels
                        var s = 0.0
                        for c in 0..<part.channels { s += Double(row[c]) * Double(g[offset + c]) }
                        sums[p] += s
                    }
                }
            }
            offset += part.channels
        }
        precondition(offset == g.count, "feature map channels do not match the head's input")
        return sums.map { Float($0 / Double(positions)) }
    }

    /// The map ReLU'd and divided by its maximum, as the Keras example's
    /// `tf.maximum(heatmap, 0) / tf.math.reduce_max(heatmap)`; a map with no positive value
    /// (the class's evidence is nowhere) is all zeros instead of 0/0.
    static func normalized(_ map: [Float]) -> [Float] {
        let top = map.max() ?? 0
        guard top > 0 else { return [Float](repeating: 0, count: map.count) }
        return map.map { max($0, 0) / top }
    }
}
