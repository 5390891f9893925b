import Dispatch
import Foundation

/// Runs `body` over `0..<count` split into contiguous chunks across the machine's cores.
///
/// Used by every kernel, GEMMs included (they split their rows or column panels between the
/// cores by shape only, so results never depend on the threading). Small ranges run inline to
/// avoid dispatch overhead, and so does everything on a thread inside `KernelThreading.serially`
/// (a worker that already owns one core).
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
    let ran = ChunkWorkers.shared.run(chunks: chunks) { i in
        let start = count * i / chunks
        let end = count * (i + 1) / chunks
        if start < end { body(start..<end) }
    }
    if ran { return }
    // The workers are busy (another thread's forward pass): Dispatch's threads instead.
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
/// Two ways to keep both cores busy: split every layer across the cores (one image at a time),
/// or give each core its own independent work (the two encoders of one image, or different
/// images of a batch) with every kernel on it running serially.
public enum KernelThreading {
    /// Defaults to the number of active processors; `setThreadCount` overrides it.
    nonisolated(unsafe) public private(set) static var threadCount: Int = ProcessInfo.processInfo.activeProcessorCount

    /// Sets the number of threads the kernels use (1 disables threading). Results do not
    /// depend on it. Call before running models; not synchronised with running forward passes.
    public static func setThreadCount(_ n: Int) {
        threadCount = max(1, n)
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

    /// Runs `count` independent tasks concurrently, one per core, each with serial kernels.
    public static func onSeparateCores(_ count: Int, _ task: (Int) -> Void) {
        if count <= 1 || threadCount <= 1 { for i in 0..<count { task(i) }; return }
        withoutActuallyEscaping(task) { task in
            nonisolated(unsafe) let run = task
            DispatchQueue.concurrentPerform(iterations: count) { i in serially { run(i) } }
        }
    }

    /// Ends `serially` early on this thread: called by the last of several `onSeparateCores`
    /// tasks still running once the others have finished, so it can use every core for the
    /// rest of its work.
    public static func takeOverIdleCores() {
        pthread_setspecific(serialKey, nil)
    }
}

/// Lets the last of two concurrent tasks take over the core the other one freed.
public final class CoreHandoff: @unchecked Sendable {
    private let lock = NSLock()
    private var finished = 0
    private let tasks: Int

    public init(tasks: Int) { self.tasks = tasks }

    /// Marks a task finished.
    public func finish() {
        lock.lock()
        finished += 1
        lock.unlock()
    }

    /// Called by a running task between layers: once every other task has finished, this
    /// task switches to all cores (see `KernelThreading.takeOverIdleCores`).
    public func checkpoint() {
        guard KernelThreading.isSerialThread else { return }
        lock.lock()
        let alone = finished == tasks - 1
        lock.unlock()
        if alone { KernelThreading.takeOverIdleCores() }
    }
}
