import Dispatch

/// A task executor with a thread of its own, for work that must run while
/// the cooperative pool is saturated.
///
/// On Linux Swift's global executor and `DispatchQueue.global()` share the
/// same width-limited threads, one per core. During a backup both are busy
/// compressing and sealing, so a task (or signal handler) queued there waits
/// for the backup to finish. A serial queue made with a label is overcommit:
/// libdispatch gives it a thread even when the pool is full.
public final class DedicatedExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `queue` is a let and DispatchQueue is thread-safe.
    public let queue: DispatchQueue

    public init(label: String) {
        queue = DispatchQueue(label: label)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
