import Dispatch

/// Runs `body` over `0..<count` split into contiguous chunks across the machine's cores.
///
/// Used by every non-BLAS kernel (depthwise, pooling, im2col, epilogues); OpenBLAS threads its
/// own GEMMs. Small ranges run inline to avoid dispatch overhead.
@inline(__always)
public func parallelChunks(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
    let cores = KernelThreading.threadCount
    if count <= minimumChunk || cores <= 1 {
        body(0..<count)
        return
    }
    let chunks = min(cores, (count + minimumChunk - 1) / minimumChunk)
    if chunks <= 1 { body(0..<count); return }
    // The chunks touch disjoint ranges; callers guarantee their closures are safe to run
    // concurrently on disjoint ranges (they write disjoint output rows).
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let run = body
        DispatchQueue.concurrentPerform(iterations: chunks) { i in
            let start = count * i / chunks
            let end = count * (i + 1) / chunks
            if start < end { run(start..<end) }
        }
    }
}

/// How many threads the non-BLAS kernels split their work into.
public enum KernelThreading {
    /// Defaults to the number of active processors; `setThreadCount` overrides it.
    nonisolated(unsafe) public private(set) static var threadCount: Int = ProcessInfo.activeCores

    /// Sets the number of threads used by non-BLAS kernels (1 disables threading).
    /// Call before running models; not synchronised with running forward passes.
    public static func setThreadCount(_ n: Int) { threadCount = max(1, n) }
}

import Foundation
extension ProcessInfo {
    static var activeCores: Int { ProcessInfo.processInfo.activeProcessorCount }
}
