import Dispatch

/// What a kernel may use to run: how many threads, and the workers that run them.
///
/// It is passed explicitly from the model through the graph into every kernel, as ggml passes
/// `ggml_compute_params`, so no kernel consults process-wide or thread-local threading state:
/// two models with different thread counts, used from many threads at once, each run with
/// their own. A context is a value; an executor that wants a task to use fewer or more threads
/// hands it another context (`withThreads`, `ThreadBudget`).
///
/// Kernels divide their work by shape only (a GEMM into the same two halves, an elementwise
/// pass into disjoint row ranges) and run the parts with `parallelChunks`: with one thread the
/// parts run in order on the caller, with more they run at once, and every output element gets
/// the very same arithmetic either way. Results therefore never depend on `threads`.
public struct ComputeContext: Sendable {
    /// Threads a kernel may keep busy at once, the calling thread included (at least 1).
    public let threads: Int
    /// The pool that runs the parts on other cores.
    let workers: ChunkWorkers

    /// A context for up to `threads` threads (values below 1 count as 1) on the process's
    /// kernel workers.
    public init(threads: Int) {
        self.init(threads: threads, workers: .shared)
    }

    init(threads: Int, workers: ChunkWorkers) {
        self.threads = max(1, threads)
        self.workers = workers
    }

    /// One thread: every kernel runs inline on the calling thread.
    public static let serial = ComputeContext(threads: 1)

    /// The same workers with `threads` threads.
    public func withThreads(_ threads: Int) -> ComputeContext {
        ComputeContext(threads: threads, workers: workers)
    }

    /// Runs `body` over `0..<count` split into `min(threads, ⌈count / minimumChunk⌉)` contiguous
    /// chunks (a range of at most `minimumChunk` runs inline: a fork-join costs more than it does).
    ///
    /// The chunks run concurrently: `body` must only write what its own range owns (kernels
    /// write disjoint output rows).
    @inline(__always)
    public func parallelChunks(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        if count <= minimumChunk || threads <= 1 {
            body(0..<count)
            return
        }
        let chunks = min(threads, (count + minimumChunk - 1) / minimumChunk)
        if chunks <= 1 { body(0..<count); return }
        let ran = workers.run(chunks: chunks) { i in
            let start = count * i / chunks
            let end = count * (i + 1) / chunks
            if start < end { body(start..<end) }
        }
        if ran { return }
        // The workers are busy with another caller's job (another forward pass, or a chunk of an
        // outer `parallelChunks`): Dispatch's threads instead.
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let run = body
            DispatchQueue.concurrentPerform(iterations: chunks) { i in
                let start = count * i / chunks
                let end = count * (i + 1) / chunks
                if start < end { run(start..<end) }
            }
        }
    }

    /// Runs `count` independent tasks at once, each given an equal share of the threads (at
    /// least one) as its context; with one thread, one after the other.
    ///
    /// For a batch or for CVR-Net's two encoders, tasks on a core each keep the cores busier than
    /// splitting every layer of one task across them.
    public func concurrently(_ count: Int, _ task: (_ index: Int, _ context: ComputeContext) -> Void) {
        let share = withThreads(threads / max(1, count))
        if count <= 1 || threads <= 1 {
            for i in 0..<count { task(i, share) }
            return
        }
        withoutActuallyEscaping(task) { task in
            nonisolated(unsafe) let run = task
            DispatchQueue.concurrentPerform(iterations: count) { i in run(i, share) }
        }
    }
}
