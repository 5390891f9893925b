import CVRNetKernels
import Foundation
import Synchronization
import Testing

extension ComputeContext {
    /// Every processor, as a model's default `Options` gives it.
    static let allCores = ComputeContext(threads: ProcessInfo.processInfo.activeProcessorCount)
}

/// `ComputeContext` and `ThreadBudget`: how a context's threads become chunks and task shares.
struct ComputeContextTests {
    /// The chunks `parallelChunks` makes, sorted.
    static func chunks(_ context: ComputeContext, count: Int, minimumChunk: Int) -> [Range<Int>] {
        let seen = Mutex<[Range<Int>]>([])
        context.parallelChunks(count, minimumChunk: minimumChunk) { range in seen.withLock { $0.append(range) } }
        return seen.withLock { $0 }.sorted { $0.lowerBound < $1.lowerBound }
    }

    @Test func oneThreadRunsOneChunkOnTheCaller() {
        let caller = Thread.current
        let onCaller = Mutex(true)
        ComputeContext.serial.parallelChunks(100) { _ in if Thread.current != caller { onCaller.withLock { $0 = false } } }
        #expect(onCaller.withLock { $0 })
        #expect(Self.chunks(.serial, count: 100, minimumChunk: 1) == [0..<100])
        #expect(ComputeContext(threads: 0).threads == 1)
    }

    /// `min(threads, ceil(count / minimumChunk))` contiguous chunks covering the range.
    @Test(arguments: [(3, 100, 1, 3), (3, 100, 40, 3), (3, 100, 50, 2), (8, 10, 1, 8), (2, 5, 5, 1), (4, 0, 1, 1)])
    func chunkCount(_ threads: Int, _ count: Int, _ minimumChunk: Int, _ expected: Int) {
        let got = Self.chunks(ComputeContext(threads: threads), count: count, minimumChunk: minimumChunk)
        #expect(got.count == expected, "\(got)")
        #expect(got.first?.lowerBound == 0 && got.last?.upperBound == count)
        for (a, b) in zip(got, got.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
    }

    @Test func concurrentlySharesTheThreads() {
        let shares = Mutex([Int](repeating: 0, count: 3))
        ComputeContext(threads: 7).concurrently(3) { i, context in shares.withLock { $0[i] = context.threads } }
        #expect(shares.withLock { $0 } == [2, 2, 2])
        ComputeContext(threads: 2).concurrently(3) { i, context in shares.withLock { $0[i] = context.threads } }
        #expect(shares.withLock { $0 } == [1, 1, 1])
    }

    /// A finished task's threads go to the tasks still running.
    @Test func budgetHandsFinishedTasksThreadsOver() {
        let budget = ThreadBudget(ComputeContext(threads: 4), tasks: 2)
        #expect(budget.context().threads == 2)
        budget.finish()
        #expect(budget.context().threads == 4)
        budget.finish()
        #expect(budget.context().threads == 4)
        #expect(ThreadBudget(ComputeContext(threads: 3), tasks: 4).context().threads == 1)
    }
}
