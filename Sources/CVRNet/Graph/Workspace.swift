import CVRNetKernels

/// The activation memory of one encoder: a few equal buffers reused layer after layer and one
/// scratch buffer (im2col rows, depthwise results). Sized once from the encoder's layers; a
/// forward pass allocates nothing.
final class Arena: @unchecked Sendable {
    let buffers: [FloatBuffer]
    let scratch: FloatBuffer

    init(requirement: WorkspaceRequirement) {
        buffers = (0..<requirement.bufferCount).map { _ in FloatBuffer(count: requirement.activationCount) }
        scratch = FloatBuffer(count: requirement.scratchCount)
    }

    func buffer(_ i: Int) -> UnsafeMutablePointer<Float> { buffers[i].pointer }
}

/// Everything one forward pass writes: an arena per encoder (so the two encoders can run at the
/// same time on different cores), the pooled vectors the heads read, and the heads' scratch.
/// One workspace serves one forward pass at a time.
final class Workspace: @unchecked Sendable {
    let resnet: Arena
    let xception: Arena
    /// Pooled head inputs, in head order (4096, 1024, 512, 728, 1024 channels).
    let pooled: [FloatBuffer]
    let headScratch: FloatBuffer

    init(resnet: WorkspaceRequirement, xception: WorkspaceRequirement, pooledChannels: [Int]) {
        self.resnet = Arena(requirement: resnet)
        self.xception = Arena(requirement: xception)
        pooled = pooledChannels.map { FloatBuffer(count: $0) }
        headScratch = FloatBuffer(count: 2 * 1024)
    }
}

/// How large an arena an encoder needs, measured while the encoder is built.
struct WorkspaceRequirement {
    var bufferCount = 0
    var activationCount = 0
    var scratchCount = 0

    /// Records a layer's input, output and scratch sizes.
    mutating func note(_ shapes: FeatureMapShape..., scratch: Int = 0) {
        for s in shapes { activationCount = max(activationCount, s.count) }
        scratchCount = max(scratchCount, scratch)
    }
}
