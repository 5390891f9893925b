import CVRNetKernels

/// The activation memory of one encoder: a few equal buffers reused layer after layer and one
/// scratch buffer (im2col rows, depthwise results). Sized once from the encoder's layers; a
/// forward pass allocates nothing.
final class Arena: @unchecked Sendable {
    let buffers: [FloatBuffer]
    let scratch: FloatBuffer

    init(requirement: WorkspaceRequirement) {
        buffers = requirement.bufferCounts.map { FloatBuffer(count: $0) }
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

/// How large an arena an encoder needs, measured while the encoder is built: the largest map
/// each buffer role ever holds, and the largest scratch any layer asks for.
struct WorkspaceRequirement {
    var bufferCounts: [Int]
    var scratchCount = 0

    init(buffers: Int) { bufferCounts = Array(repeating: 0, count: buffers) }

    /// Records maps that buffer `role` holds.
    mutating func note(buffer role: Int, _ shapes: FeatureMapShape...) {
        for s in shapes { bufferCounts[role] = max(bufferCounts[role], s.count) }
    }

    /// Records a layer's scratch needs.
    mutating func note(scratch: Int...) {
        for n in scratch { scratchCount = max(scratchCount, n) }
    }
}
