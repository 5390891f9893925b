import CVRNetKernels

/// The backward pass of one head's Dense stack, for Grad-CAM.
///
/// A head is GlobalAveragePooling2D -> Dense 512 ReLU -> Dense 128 ReLU -> Dense 64 ReLU ->
/// Dense N. The score Grad-CAM differentiates is the pre-softmax logit of one class (the Keras
/// Grad-CAM example removes the last layer's softmax). Its gradient with respect to the pooled
/// vector runs back through the Dense layers only:
/// `g = W1 · (m1 ⊙ (W2 · (m2 ⊙ (W3 · (m3 ⊙ W4[:, k])))))`, where `mi` is 1 where layer i's
/// ReLU output is > 0 and 0 elsewhere (TensorFlow's ReluGrad passes the gradient only where the
/// output is positive). The gradient with respect to the feature map is then `g[c] / (H·W)` at
/// every position, since each position enters the pooled mean with weight 1/(H·W).
struct HeadGradient {
    /// The head's pre-softmax outputs, one per class.
    var logits: [Float]
    /// d logit[class] / d pooled[c], one per channel of the head's feature map.
    var pooledGradient: [Float]
}

extension ClassificationHead {
    /// Runs the head on `pooled` keeping each layer's activations, then the backward pass of
    /// `classIndex`'s logit. Allocates its own small buffers (about 20 KB), so any number of
    /// calls may run at once.
    func gradient(pooled: UnsafePointer<Float>, classIndex: Int) -> HeadGradient {
        precondition(classIndex >= 0 && classIndex < classes, "class index out of range")
        // Forward, exactly as `forward` computes it, keeping every activation.
        var activations: [[Float]] = []
        var input = Array(UnsafeBufferPointer(start: pooled, count: layers[0].inputs))
        for (i, layer) in layers.enumerated() {
            var out = [Float](repeating: 0, count: layer.units)
            input.withUnsafeBufferPointer { x in
                out.withUnsafeMutableBufferPointer { y in
                    layer.forward(input: x.baseAddress!, rows: 1, output: y.baseAddress!,
                                  activation: i == layers.count - 1 ? .identity : .relu)
                }
            }
            activations.append(out)
            input = out
        }
        // Backward. Keras's kernel is (inputs, units) row-major: d out[u] / d in[i] = K[i, u],
        // so the gradient of the inputs is K · (gradient of the outputs).
        let last = layers[layers.count - 1]
        var upstream = (0..<last.inputs).map { last.kernel.pointer[$0 * last.units + classIndex] }
        for i in stride(from: layers.count - 2, through: 0, by: -1) {
            let layer = layers[i]
            let output = activations[i]
            for u in 0..<layer.units where !(output[u] > 0) { upstream[u] = 0 }
            var down = [Float](repeating: 0, count: layer.inputs)
            upstream.withUnsafeBufferPointer { g in
                down.withUnsafeMutableBufferPointer { d in
                    layer.backward(outputGradient: g.baseAddress!, inputGradient: d.baseAddress!)
                }
            }
            upstream = down
        }
        return HeadGradient(logits: activations[activations.count - 1], pooledGradient: upstream)
    }
}
