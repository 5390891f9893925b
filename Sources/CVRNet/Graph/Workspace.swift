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

/// Everything one forward pass writes: the encoders' arenas, the pooled vectors the heads read,
/// and the heads' scratch. One workspace serves one forward pass at a time.
///
/// For the two encoders to run side by side on different cores each needs its own arena. When
/// they run one after the other (a batch, one image per core) they share one, sized for the
/// larger of the two: 10 MB less per workspace, since only pooled vectors outlive an encoder.
final class Workspace: @unchecked Sendable {
    let resnet: Arena
    let xception: Arena
    /// True when `resnet` and `xception` are the same arena (encoders one after the other only).
    let sharesArena: Bool
    /// Pooled head inputs, in head order (4096, 1024, 512, 728, 1024 channels).
    let pooled: [FloatBuffer]
    let headScratch: FloatBuffer

    init(resnet: WorkspaceRequirement, xception: WorkspaceRequirement, pooledChannels: [Int], encodersSideBySide: Bool) {
        if encodersSideBySide {
            self.resnet = Arena(requirement: resnet)
            self.xception = Arena(requirement: xception)
        } else {
            let shared = Arena(requirement: resnet.union(xception))
            self.resnet = shared
            self.xception = shared
        }
        sharesArena = !encodersSideBySide
        pooled = pooledChannels.map { FloatBuffer(count: $0) }
        headScratch = FloatBuffer(count: ClassificationHead.scratchCount)
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

    /// The requirement of an arena used by both encoders, one after the other.
    func union(_ other: WorkspaceRequirement) -> WorkspaceRequirement {
        var u = WorkspaceRequirement(buffers: max(bufferCounts.count, other.bufferCounts.count))
        for (i, n) in bufferCounts.enumerated() { u.bufferCounts[i] = max(u.bufferCounts[i], n) }
        for (i, n) in other.bufferCounts.enumerated() { u.bufferCounts[i] = max(u.bufferCounts[i], n) }
        u.scratchCount = max(scratchCount, other.scratchCount)
        return u
    }

    /// Records a layer's scratch needs.
    mutating func note(scratch: Int...) {
        for n in scratch { scratchCount = max(scratchCount, n) }
    }
}
