import Foundation
import Synchronization
import TesseraCore

/// Wraps a backend and makes some of its calls fail with
/// `BackendError.transient`: the next N calls, or each call with a set
/// probability drawn from a seeded generator (the same faults on every run).
final class FaultyBackend: Backend {
    enum Operation: String, CaseIterable, Sendable {
        case save, load, stat, list, delete
    }

    /// When an injected fault happens.
    enum Timing: Sendable {
        /// The request never reached the backend.
        case beforeCall
        /// The backend did the work, then the answer was lost (a dropped
        /// connection after the upload): what makes retries need idempotence.
        case afterCall
    }

    private struct State {
        var generator: SeededGenerator
        var failNext = 0
        var injected = 0
        var calls: [Operation: Int] = [:]
    }

    let inner: any Backend
    let failureRate: Double
    let operations: Set<Operation>
    let timing: Timing
    let retryAfter: TimeInterval?
    private let state: Mutex<State>

    init(
        _ inner: any Backend, failureRate: Double = 0, seed: UInt64 = 1, operations: Set<Operation> = Set(Operation.allCases),
        timing: Timing = .beforeCall, retryAfter: TimeInterval? = nil
    ) {
        self.inner = inner
        self.failureRate = failureRate
        self.operations = operations
        self.timing = timing
        self.retryAfter = retryAfter
        state = Mutex(State(generator: SeededGenerator(seed: seed)))
    }

    var location: String { inner.location }

    /// Makes the next `count` calls of the chosen operations fail.
    func failNext(_ count: Int) {
        state.withLock { $0.failNext = count }
    }

    var injectedFailures: Int { state.withLock { $0.injected } }

    /// Calls of `operation` so far, failed ones included.
    func calls(_ operation: Operation) -> Int { state.withLock { $0.calls[operation, default: 0] } }

    func save(_ handle: ObjectHandle, data: Data) async throws {
        try await run(.save, handle.path) { try await inner.save(handle, data: data) }
    }

    func load(_ handle: ObjectHandle, range: Range<Int64>?) async throws -> Data {
        try await run(.load, handle.path) { try await inner.load(handle, range: range) }
    }

    func stat(_ handle: ObjectHandle) async throws -> ObjectInfo {
        try await run(.stat, handle.path) { try await inner.stat(handle) }
    }

    func list(_ kind: ObjectKind) async throws -> [ObjectInfo] {
        try await run(.list, kind.rawValue) { try await inner.list(kind) }
    }

    func delete(_ handle: ObjectHandle) async throws {
        try await run(.delete, handle.path) { try await inner.delete(handle) }
    }

    func create() async throws { try await inner.create() }

    private func run<T>(_ operation: Operation, _ object: String, _ body: () async throws -> T) async throws -> T {
        let fail = state.withLock { state -> Bool in
            state.calls[operation, default: 0] += 1
            guard operations.contains(operation) else { return false }
            if state.failNext > 0 {
                state.failNext -= 1
            } else if failureRate <= 0 || Double.random(in: 0..<1, using: &state.generator) >= failureRate {
                return false
            }
            state.injected += 1
            return true
        }
        guard fail else { return try await body() }
        if timing == .afterCall { _ = try await body() }
        throw BackendError.transient(operation: operation.rawValue, object: object, reason: "injected fault", retryAfter: retryAfter)
    }
}
