import Foundation
import TesseraCore

/// Retries operations that failed with a transient error
/// (`BackendError.isTransient`), waiting as `RetryPolicy` says between
/// attempts. Other errors — a missing object, a local I/O error, cancellation —
/// pass through at once. When every attempt failed, it throws
/// `BackendError.retriesExhausted` with the count and the last error.
///
/// Retrying is safe because objects are immutable (invariant 5): saving the
/// same bytes under the same name again leaves the same one object.
public struct RetryingBackend: Backend {
    public let inner: any Backend
    public let policy: RetryPolicy
    private let sleeper: any Sleeper
    private let jitter: @Sendable (TimeInterval) -> TimeInterval
    private let onRetry: (@Sendable (RetryEvent) -> Void)?

    /// - Parameters:
    ///   - sleeper: waits between attempts (real time by default).
    ///   - jitter: draws a wait from zero up to the given ceiling (uniform by default).
    ///   - onRetry: told about each failed attempt before its wait.
    public init(
        _ inner: any Backend,
        policy: RetryPolicy = RetryPolicy(),
        sleeper: any Sleeper = SystemClock(),
        jitter: @escaping @Sendable (TimeInterval) -> TimeInterval = { TimeInterval.random(in: 0...max(0, $0)) },
        onRetry: (@Sendable (RetryEvent) -> Void)? = nil
    ) {
        self.inner = inner
        self.policy = policy
        self.sleeper = sleeper
        self.jitter = jitter
        self.onRetry = onRetry
    }

    public var location: String { inner.location }

    public func save(_ handle: ObjectHandle, data: Data) async throws {
        try await retrying { _ in try await inner.save(handle, data: data) }
    }

    public func load(_ handle: ObjectHandle, range: Range<Int64>?) async throws -> Data {
        try await retrying { _ in try await inner.load(handle, range: range) }
    }

    public func stat(_ handle: ObjectHandle) async throws -> ObjectInfo {
        try await retrying { _ in try await inner.stat(handle) }
    }

    public func list(_ kind: ObjectKind) async throws -> [ObjectInfo] {
        try await retrying { _ in try await inner.list(kind) }
    }

    public func delete(_ handle: ObjectHandle) async throws {
        try await retrying { attempt in
            do {
                try await inner.delete(handle)
            } catch BackendError.notFound where attempt > 1 {
                // The failed attempt before may have deleted it and lost only the answer.
            }
        }
    }

    public func create() async throws {
        try await retrying { _ in try await inner.create() }
    }

    private func retrying<T: Sendable>(_ operation: (_ attempt: Int) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await operation(attempt)
            } catch let error as BackendError where error.isTransient {
                guard attempt < policy.maxAttempts else {
                    throw BackendError.retriesExhausted(attempts: attempt, last: error)
                }
                let delay = policy.delay(forRetry: attempt, serverDelay: error.retryAfter, jitter: jitter)
                onRetry?(RetryEvent(attempt: attempt, error: error, delay: delay))
                try await sleeper.sleep(for: delay)
                // A test sleeper returns at once; do not keep retrying for a cancelled task.
                try Task.checkCancellation()
                attempt += 1
            }
        }
    }
}
