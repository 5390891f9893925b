import CVRNetKernels

/// The activation arena of one forward pass: a few equal buffers reused layer after layer, an
/// im2col scratch, and the pooled vectors the heads read. Sized once from the graph; a forward
/// pass allocates nothing. One workspace serves one forward pass at a time.
final class Workspace: @unchecked Sendable {
    /// Activation buffers, each `activationCount` floats.
    let buffers: [FloatBuffer]
    /// im2col / depthwise scratch.
    let scratch: FloatBuffer
    /// Pooled head inputs: 4096 + 1024 + 512 + 728 + 1024 floats, and head activations.
    let pooled: [FloatBuffer]
    let headScratch: FloatBuffer

    init(requirement: WorkspaceRequirement) {
        buffers = (0..<requirement.bufferCount).map { _ in FloatBuffer(count: requirement.activationCount) }
        scratch = FloatBuffer(count: requirement.scratchCount)
        pooled = requirement.pooledChannels.map { FloatBuffer(count: $0) }
        headScratch = FloatBuffer(count: 2 * 1024)
    }

    func buffer(_ i: Int) -> UnsafeMutablePointer<Float> { buffers[i].pointer }
}

/// How large a workspace a graph needs; each encoder reports its own and they are merged.
struct WorkspaceRequirement {
    var bufferCount = 0
    var activationCount = 0
    var scratchCount = 0
    var pooledChannels: [Int] = []

    mutating func merge(_ other: WorkspaceRequirement) {
        bufferCount = max(bufferCount, other.bufferCount)
        activationCount = max(activationCount, other.activationCount)
        scratchCount = max(scratchCount, other.scratchCount)
    }

    /// Records a layer's input, output and scratch sizes.
    mutating func note(_ shapes: FeatureMapShape..., scratch: Int = 0) {
        for s in shapes { activationCount = max(activationCount, s.count) }
        scratchCount = max(scratchCount, scratch)
    }
}
