/// Keras `GlobalAveragePooling2D`: the mean of every channel over the map.
///
/// Sums in `Double` so the result does not depend on summation order beyond float rounding of
/// the mean itself (TensorFlow's `reduce_mean` sums in float32 in a tree; both are within a few
/// ulps of the exact mean).
public func globalAveragePooling2D(input: UnsafePointer<Float>, shape: FeatureMapShape,
                                   output: UnsafeMutablePointer<Float>) {
    let c = shape.channels
    let n = shape.height * shape.width
    // A scoped temporary (Swift puts it on the stack when it fits), not an array built per call.
    withUnsafeTemporaryAllocation(of: Double.self, capacity: c) { s in
        s.initialize(repeating: 0)
        for p in 0..<n {
            let src = input + p * c
            for ch in 0..<c { s[ch] += Double(src[ch]) }
        }
        for ch in 0..<c { output[ch] = Float(s[ch] / Double(n)) }
    }
}
