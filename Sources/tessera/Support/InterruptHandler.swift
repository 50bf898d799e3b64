import CSystemShims
import Foundation
import Synchronization
import TesseraCore

/// Ctrl-C and SIGTERM: run the registered clean-ups (releasing locks), say
/// what happened, and exit 130 as restic does. Whatever a backup wrote so far
/// is safe: packs without an index or snapshot are only unreferenced data.
///
/// A C handler writes each signal to a pipe and a thread of our own reads it.
/// Neither a dispatch signal source nor the global queues will do: on Linux
/// those share the cooperative pool's threads, which a backup keeps busy
/// until it ends, and a dispatch source can lose a signal that arrives on a
/// thread that does not block it (a CI run saw Ctrl-C ignored entirely).
final class InterruptHandler: Sendable {
    static let shared = InterruptHandler()

    private let cleanups = Mutex<[Int: @Sendable () async -> Void]>([:])
    private let nextToken = Mutex(0)
    /// Clean-ups run here for the same reason: the shared pool may be full.
    private let cleanupExecutor = DedicatedExecutor(label: "tessera.cleanups")
    /// A command whose normal end is a signal (`mount`) handles it itself.
    private let takeOver = Mutex<(@Sendable (Int32) -> Void)?>(nil)

    func install() {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0, fcntl(ends[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(ends[1], F_SETFD, FD_CLOEXEC) == 0, tessera_catch_interrupts(ends[1]) == 0 else {
            Console.err("tessera: warning: cannot catch Ctrl-C (\(FileSystemError.reason(errno))); an interrupted command may leave a stale lock\n")
            return
        }
        let readEnd = ends[0]
        let thread = Thread { [self] in
            var byte: UInt8 = 0
            while true {
                let count = read(readEnd, &byte, 1)
                if count == 1 { interrupted(by: Int32(byte)) }
                if count == 0 || (count < 0 && errno != EINTR) { return }
            }
        }
        thread.name = "tessera-interrupts"
        thread.start()
    }

    /// Signals go to `handler` instead of ending the process; the command
    /// then finishes (and exits) its own way.
    func handleSignalsItself(_ handler: @escaping @Sendable (Int32) -> Void) {
        takeOver.withLock { $0 = handler }
    }

    /// Registers a clean-up; returns a token to remove it when no longer needed.
    func register(_ cleanup: @escaping @Sendable () async -> Void) -> Int {
        let token = nextToken.withLock { value -> Int in
            value += 1
            return value
        }
        cleanups.withLock { $0[token] = cleanup }
        return token
    }

    func unregister(_ token: Int) {
        _ = cleanups.withLock { $0.removeValue(forKey: token) }
    }

    private func interrupted(by signalNumber: Int32) {
        if let handler = takeOver.withLock({ $0 }) {
            handler(signalNumber)
            return
        }
        Console.err("\ntessera: interrupted; releasing locks. Data written so far is safe; run the command again to finish.\n")
        let pending = cleanups.withLock { Array($0.values) }
        let done = DispatchSemaphore(value: 0)
        Task(executorPreference: cleanupExecutor) {
            for cleanup in pending { await cleanup() }
            done.signal()
        }
        _ = done.wait(timeout: .now() + 10)
        exit(128 + signalNumber)
    }
}
