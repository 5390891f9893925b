import Foundation

/// Keras `softmax` over the last axis of one vector, in place, computed as TensorFlow does:
/// `exp(x - max(x)) / sum(exp(x - max(x)))` in float32.
public func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
    var m = -Float.infinity
    for i in 0..<count { m = max(m, x[i]) }
    var sum: Float = 0
    for i in 0..<count {
        x[i] = expf(x[i] - m)
        sum += x[i]
    }
    for i in 0..<count { x[i] /= sum }
}
