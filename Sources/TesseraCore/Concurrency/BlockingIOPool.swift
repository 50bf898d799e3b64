import Dispatch
import Foundation
import Synchronization

/// Threads for work that blocks in the kernel: reading files, scanning
/// folders, writing and fsyncing packs.
///
/// Swift's cooperative pool has one thread per core. A `pread` waiting on
/// the disk there idles a core (half of this 2-core machine); measured on a
/// cold /usr/share backup, only 1.1 of 2 cores were busy. Blocking calls run
/// here instead, on a few more threads than cores, while the cooperative
/// pool keeps compressing and encrypting.
public final class BlockingIOPool: Sendable {
    public static let shared = BlockingIOPool(threads: max(4, 2 * ProcessInfo.processInfo.activeProcessorCount))

    private let jobs = Mutex<Jobs>(Jobs())
    private let available = DispatchSemaphore(value: 0)

    private struct Jobs {
        var queue: [@Sendable () -> Void] = []
        var head = 0

        mutating func push(_ job: @escaping @Sendable () -> Void) { queue.append(job) }

        mutating func pop() -> (@Sendable () -> Void)? {
            guard head < queue.count else { return nil }
            let job = queue[head]
            // Release the slot now: a job's closure holds what it captured (a
            // 16 MiB pack being saved, say) for as long as the slot keeps it.
            queue[head] = {}
            head += 1
            if head > 256, head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            return job
        }
    }

    public init(threads: Int) {
        for index in 0..<threads {
            let thread = Thread { [self] in runJobs() }
            thread.name = "tessera-io-\(index)"
            thread.start()
        }
    }

    private func runJobs() {
        while true {
            available.wait()
            if let job = jobs.withLock({ $0.pop() }) { job() }
        }
    }

    /// Runs `body` on an I/O thread and returns its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            jobs.withLock { $0.push { continuation.resume(with: Result { try body() }) } }
            available.signal()
        }
    }
}
