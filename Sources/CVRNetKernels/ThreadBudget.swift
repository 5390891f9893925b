import Foundation

/// A context's threads shared between tasks running side by side (`ComputeContext.concurrently`),
/// a finished task's threads going to those still running.
///
/// CVR-Net's two encoders of one image run side by side, a core each; whichever finishes first
/// leaves its core idle while the other still has layers to run. Each task asks the budget for
/// its context before every block, so once it runs alone it splits its layers across every
/// core again. Only the number of threads changes, never how a kernel divides its work, so
/// results are the same bit for bit.
public final class ThreadBudget: @unchecked Sendable {
    private let lock = NSLock()
    private let whole: ComputeContext
    private var running: Int

    /// `tasks` tasks sharing `context`'s threads.
    public init(_ context: ComputeContext, tasks: Int) {
        whole = context
        running = max(1, tasks)
    }

    /// The context for a running task's next step: an equal share of the threads between the
    /// tasks still running (at least one).
    public func context() -> ComputeContext {
        lock.lock()
        let tasks = running
        lock.unlock()
        return whole.withThreads(whole.threads / tasks)
    }

    /// Marks a task finished; its share goes to the others at their next `context()`.
    public func finish() {
        lock.lock()
        running = max(1, running - 1)
        lock.unlock()
    }
}
