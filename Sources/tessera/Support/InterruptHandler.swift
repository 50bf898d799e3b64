import Dispatch
import Foundation
import Synchronization

/// Ctrl-C and SIGTERM: run the registered clean-ups (releasing locks), say
/// what happened, and exit 130 as restic does. Whatever a backup wrote so far
/// is safe: packs without an index or snapshot are only unreferenced data.
final class InterruptHandler: Sendable {
    static let shared = InterruptHandler()

    private let cleanups = Mutex<[Int: @Sendable () async -> Void]>([:])
    private let nextToken = Mutex(0)
    private let sources = SignalSources()

    /// Keeps the signal sources alive for the life of the process. Written once,
    /// by `install()` on the main thread before any task runs; never read.
    private final class SignalSources: @unchecked Sendable {
        var all: [DispatchSourceSignal] = []
    }

    func install() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [self] in interrupted(by: signalNumber) }
            source.resume()
            sources.all.append(source)
        }
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
        Console.err("\ntessera: interrupted; releasing locks. Data written so far is safe; run the command again to finish.\n")
        let pending = cleanups.withLock { Array($0.values) }
        let done = DispatchSemaphore(value: 0)
        Task {
            for cleanup in pending { await cleanup() }
            done.signal()
        }
        _ = done.wait(timeout: .now() + 10)
        exit(128 + signalNumber)
    }
}
