import Foundation
import Synchronization
import TesseraCore

/// Counts the calls that reach the backend it wraps, failed ones included, and
/// the bytes of those that succeeded. Placed under a `RetryingBackend`, it
/// counts every attempt, which is what a provider bills. It counts `Backend`
/// calls: a backend that pages one listing makes more HTTP requests than this sees.
public final class RequestCountingBackend: Backend {
    public let inner: any Backend
    private let state = Mutex(RequestCounts())

    public init(_ inner: any Backend) {
        self.inner = inner
    }

    public var location: String { inner.location }

    /// The counts so far.
    public var counts: RequestCounts { state.withLock { $0 } }

    public func save(_ handle: ObjectHandle, data: Data) async throws {
        count(\.save)
        try await inner.save(handle, data: data)
        state.withLock { $0.bytesUploaded += Int64(data.count) }
    }

    public func load(_ handle: ObjectHandle, range: Range<Int64>?) async throws -> Data {
        count(range == nil ? \.load : \.loadRange)
        let data = try await inner.load(handle, range: range)
        state.withLock { $0.bytesDownloaded += Int64(data.count) }
        return data
    }

    public func stat(_ handle: ObjectHandle) async throws -> ObjectInfo {
        count(\.stat)
        return try await inner.stat(handle)
    }

    public func list(_ kind: ObjectKind) async throws -> [ObjectInfo] {
        count(\.list)
        return try await inner.list(kind)
    }

    public func delete(_ handle: ObjectHandle) async throws {
        count(\.delete)
        try await inner.delete(handle)
    }

    /// Not counted: it runs once per repository, at `init`.
    public func create() async throws { try await inner.create() }

    private func count(_ kind: WritableKeyPath<RequestCounts, Int>) {
        state.withLock { $0[keyPath: kind] += 1 }
    }
}
