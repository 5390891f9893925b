@testable import CVRNetKernels
import Foundation
import Synchronization
import Testing

/// `ChunkWorkers`, the pool behind `ComputeContext.parallelChunks`: every chunk of every job runs exactly once,
/// with the caller's writes and the workers' both visible when `run` returns, however many jobs
/// follow each other and however many threads call at once.
struct ChunkWorkersTests {
    @Test func everyChunkRunsOnceInManyJobsBackToBack() {
        // A pool of its own: the shared one is busy now and then with other tests' layers.
        let pool = ChunkWorkers(workers: 1)
        let caller = pthread_self()
        var ranOnPool = 0, chunksOnWorkers = 0
        for job in 0..<5_000 {
            let chunks = 1 + job % 7
            // Plain (non-atomic) slots: run's return must make the workers' writes visible.
            var slots = [Int](repeating: 0, count: chunks)
            var onWorker = [Bool](repeating: false, count: chunks)
            let ran = slots.withUnsafeMutableBufferPointer { slots in
                onWorker.withUnsafeMutableBufferPointer { onWorker in
                    pool.run(chunks: chunks) { i in
                        // A few microseconds of work, so that the workers take part.
                        var x = Double(i)
                        for k in 0..<1000 { x = x * 0.999 + Double(k & 7) }
                        slots[i] += job + 1 + (x.isNaN ? 1 : 0)
                        onWorker[i] = pthread_equal(pthread_self(), caller) == 0
                    }
                }
            }
            if ran {
                ranOnPool += 1
                chunksOnWorkers += onWorker.filter { $0 }.count
                #expect(slots == [Int](repeating: job + 1, count: chunks), "job \(job)")
            }
        }
        #expect(ranOnPool == 5_000)
        #expect(chunksOnWorkers > 0, "no chunk ran on the worker")
    }

    @Test func aCallFromInsideAChunkFindsThePoolBusy() {
        let pool = ChunkWorkers(workers: 1)
        let nested = Atomic<Int>(0)
        let outerRan = pool.run(chunks: 2) { _ in
            if pool.run(chunks: 2, { _ in }) { nested.add(1, ordering: .relaxed) }
        }
        #expect(outerRan)
        #expect(nested.load(ordering: .relaxed) == 0)
    }

    @Test func aPoolWithoutWorkersRunsNothing() {
        var ran = false
        #expect(!ChunkWorkers(workers: 0).run(chunks: 2) { _ in ran = true })
        #expect(!ran)
    }

    /// `ComputeContext.parallelChunks` from many threads at once: one gets the pool, the others
    /// Dispatch.
    @Test func parallelChunksFromManyThreadsCoversEveryIndex() {
        let threads = 8, count = 1000
        let totals = Mutex([Int](repeating: 0, count: threads))
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for round in 0..<200 {
                let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
                hits.initialize(repeating: 0)
                ComputeContext(threads: 2).parallelChunks(count, minimumChunk: 10) { range in
                    for i in range { hits[i] += 1 }
                }
                let covered = hits.allSatisfy { $0 == 1 }
                hits.deallocate()
                if covered { totals.withLock { $0[t] += 1 } } else { Issue.record("thread \(t) round \(round): an index ran twice or never") }
            }
        }
        #expect(totals.withLock { $0 } == [Int](repeating: 200, count: threads))
    }
}
