import CVRNetKernels

/// Everything one forward pass writes: the encoders' arenas, the pooled vectors the heads read,
/// and the heads' scratch. One workspace serves one forward pass at a time.
///
/// For the two encoders to run side by side on different cores each needs its own arena. When
/// they run one after the other (a batch, one image per core) they share one, as large as the
/// larger plan needs: only pooled vectors outlive an encoder. A workspace for Grad-CAM runs the
/// plans that keep the tapped maps to the end of the pass, in an arena per encoder, so the maps
/// can be read after it.
final class Workspace: @unchecked Sendable {
    enum Kind: Sendable {
        /// One arena for both encoders, run one after the other.
        case sharedArena
        /// An arena per encoder: the encoders may run side by side.
        case arenaPerEncoder
        /// An arena per encoder, running the plans that keep the tapped maps (`ExecutionPlan.keeping`).
        case keepingTaps
    }

    let kind: Kind
    /// The plans this workspace's arenas are laid out for: a pass in it runs these.
    let resnetPlan: ExecutionPlan
    let xceptionPlan: ExecutionPlan
    let resnet: Arena
    let xception: Arena
    /// True when `resnet` and `xception` are the same arena (encoders one after the other only).
    var sharesArena: Bool { kind == .sharedArena }
    /// Pooled head inputs, in head order (4096, 1024, 512, 728, 1024 channels).
    let pooled: [FloatBuffer]
    /// `pooled`'s pointers, made once (a pass allocates nothing).
    let pooledPointers: [UnsafeMutablePointer<Float>]
    let headScratch: FloatBuffer

    init(_ kind: Kind, resnet: ExecutionPlan, xception: ExecutionPlan, pooledChannels: [Int]) {
        self.kind = kind
        resnetPlan = resnet
        xceptionPlan = xception
        if kind == .sharedArena {
            let shared = Arena(for: [resnet, xception])
            self.resnet = shared
            self.xception = shared
        } else {
            self.resnet = Arena(for: [resnet])
            self.xception = Arena(for: [xception])
        }
        pooled = pooledChannels.map { FloatBuffer(count: $0) }
        pooledPointers = pooled.map(\.pointer)
        headScratch = FloatBuffer(count: ClassificationHead.scratchCount)
    }

    /// Bytes of activation memory (arenas, pooled vectors, head scratch).
    var bytes: Int {
        let arenas = sharesArena ? resnet.floats : resnet.floats + xception.floats
        return 4 * (arenas + pooled.map(\.count).reduce(0, +) + headScratch.count)
    }
}
