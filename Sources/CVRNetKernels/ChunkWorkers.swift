import Foundation
import Synchronization

/// The worker threads behind `ComputeContext.parallelChunks`: a fork-join pool whose workers spin for a short
/// while after each job before they sleep.
///
/// One image on two cores splits every layer between them: a few hundred fork-joins per image,
/// back to back, many over a few tens of microseconds of work. `DispatchQueue.concurrentPerform`
/// wakes a sleeping worker thread for each, and on a virtual machine that wake-up alone takes
/// 20-40 µs: measured, two chunks of 16.5 µs of work each took 34.8 µs on two cores, no faster
/// than one thread doing both (17.7 µs with this pool). Here the workers are still spinning
/// when the next job comes, so they start at once.
/// Spinning ends `spinTime` after the last job; a worker then sleeps until the next one.
///
/// One pool for the process, shared by every model whatever its thread count (a context's
/// `threads` decides how many chunks a job has; the caller and the workers claim them), so
/// loading models never starts threads. One job at a time: a caller that finds the pool busy
/// (another forward pass, or a `parallelChunks` inside a chunk) gets `false` and uses
/// `concurrentPerform` instead.
final class ChunkWorkers: @unchecked Sendable {
    /// Workers for every core but the caller's, started on first use.
    static let shared = ChunkWorkers(workers: max(0, ProcessInfo.processInfo.activeProcessorCount - 1))

    /// How long an idle worker keeps spinning before it sleeps.
    static let spinTime: Double = 200e-6

    private let workers: Int
    private let busy = Atomic<Bool>(false)
    /// The current job and its progress in one word, so a chunk is claimed for one job only:
    /// generation (bits 32-63), chunk count (bits 16-31), next unclaimed chunk (bits 0-15).
    private let ticket = Atomic<UInt64>(0)
    private let finished = Atomic<Int>(0)
    /// Set before `ticket` publishes a job; read only by a thread that claimed one of its
    /// chunks, while the caller waits for that chunk.
    nonisolated(unsafe) private var job: ((Int) -> Void)?
    private let sleepers = Atomic<Int>(0)
    private let wake = NSCondition()

    /// A pool with its own `workers` threads, which run for the life of the process (and keep
    /// the pool alive). Kernels use `shared`; tests make their own.
    init(workers: Int) {
        self.workers = workers
        for _ in 0..<workers {
            let thread = Thread { self.workerLoop() }
            thread.name = "cvrnet-kernels"
            thread.start()
        }
    }

    /// Runs `body(i)` for every `i` in `0..<chunks` on the caller and the workers; returns
    /// false, having run nothing, when the pool is busy or has no workers.
    func run(chunks: Int, _ body: (Int) -> Void) -> Bool {
        guard workers > 0, chunks >= 1, chunks < 1 << 16,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { body in
            job = body
            finished.store(0, ordering: .relaxed)
            let generation = ((ticket.load(ordering: .relaxed) >> 32) &+ 1) & 0xFFFF_FFFF  // wraps after 2^32 jobs
            let published = generation << 32 | UInt64(chunks) << 16
            ticket.store(published, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                wake.lock()
                wake.broadcast()
                wake.unlock()
            }
            runChunks(generation: generation)
            // The other chunks are running; when that takes long, a worker has probably lost its
            // core to another process, so stop spinning and give the core away.
            var spins = 0
            while finished.load(ordering: .acquiring) < chunks {
                spins += 1
                if spins > 4096 { sched_yield() }
            }
            job = nil
        }
        return true
    }

    /// Claims and runs chunks of job `generation` until none is left.
    private func runChunks(generation: UInt64) {
        var current = ticket.load(ordering: .acquiring)
        while current >> 32 == generation {
            let chunks = (current >> 16) & 0xFFFF, next = current & 0xFFFF
            if next >= chunks { return }
            let (exchanged, original) = ticket.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged {
                job!(Int(next))
                finished.add(1, ordering: .releasing)
                current = current + 1
            } else {
                current = original
            }
        }
    }

    private func workerLoop() {
        var seen: UInt64 = 0
        while true {
            // Spin for the next job, then sleep until one is published.
            var generation = ticket.load(ordering: .acquiring) >> 32
            if generation == seen {
                let start = DispatchTime.now().uptimeNanoseconds
                var spins = 0
                while generation == seen {
                    spins += 1
                    if spins & 1023 == 0,
                       Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 > Self.spinTime { break }
                    generation = ticket.load(ordering: .acquiring) >> 32
                }
            }
            if generation == seen {
                wake.lock()
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while ticket.load(ordering: .sequentiallyConsistent) >> 32 == seen { wake.wait() }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                wake.unlock()
                generation = ticket.load(ordering: .acquiring) >> 32
            }
            seen = generation
            runChunks(generation: generation)
        }
    }
}
