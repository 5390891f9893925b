import COpenBLAS
import Dispatch
import Foundation

/// Runs `body` over `0..<count` split into contiguous chunks across the machine's cores.
///
/// Used by every non-BLAS kernel (depthwise, pooling, im2col, epilogues); OpenBLAS threads its
/// own GEMMs. Small ranges run inline to avoid dispatch overhead, and so does everything on a
/// thread inside `KernelThreading.serially` (a worker that already owns one core).
@inline(__always)
public func parallelChunks(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
    let cores = KernelThreading.threadCount
    if count <= minimumChunk || cores <= 1 || KernelThreading.isSerialThread {
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

/// How the kernels use the machine's cores.
///
/// Two ways to keep both cores busy: split every layer across the cores (one image at a time,
/// OpenBLAS threading its GEMMs), or give each core its own independent work (the two encoders
/// of one image, or different images of a batch) with every kernel on it running serially.
public enum KernelThreading {
    /// Defaults to the number of active processors; `setThreadCount` overrides it.
    nonisolated(unsafe) public private(set) static var threadCount: Int = ProcessInfo.processInfo.activeProcessorCount

    /// Sets the number of threads used by kernels and OpenBLAS (1 disables threading).
    /// Call before running models; not synchronised with running forward passes.
    public static func setThreadCount(_ n: Int) {
        threadCount = max(1, n)
        openblas_set_num_threads(Int32(threadCount))
    }

    private static let serialKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// True on a thread running inside `serially`.
    public static var isSerialThread: Bool { pthread_getspecific(serialKey) != nil }

    /// Runs `body` with every kernel on this thread single-threaded.
    public static func serially<T>(_ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(serialKey)
        pthread_setspecific(serialKey, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(serialKey, previous) }
        return try body()
    }

    /// Runs `count` independent tasks, one per core, each with serial kernels and
    /// single-threaded OpenBLAS; OpenBLAS's thread count is restored afterwards.
    ///
    /// OpenBLAS's thread count is process-wide: a prediction running on another thread at the
    /// same time uses single-threaded GEMMs until this returns (slower, never wrong).
    public static func onSeparateCores(_ count: Int, _ task: (Int) -> Void) {
        if count <= 1 || threadCount <= 1 { for i in 0..<count { task(i) }; return }
        blasLock.lock()
        let saved = openblas_get_num_threads()
        openblas_set_num_threads(1)
        withoutActuallyEscaping(task) { task in
            nonisolated(unsafe) let run = task
            DispatchQueue.concurrentPerform(iterations: count) { i in serially { run(i) } }
        }
        openblas_set_num_threads(saved)
        blasLock.unlock()
    }

    private static let blasLock = NSLock()
}
