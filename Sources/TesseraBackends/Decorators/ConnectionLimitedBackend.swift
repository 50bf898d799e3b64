import Foundation
import TesseraCore

/// Lets at most `limit` calls reach the backend it wraps at once (the
/// `--connections` option): a remote server sees a bounded number of
/// parallel requests however many tasks the pipelines above run.
public struct ConnectionLimitedBackend: Backend {
    public let inner: any Backend
    public let limit: Int
    private let slots: AsyncSemaphore

    public init(_ inner: any Backend, limit: Int) {
        self.inner = inner
        self.limit = max(1, limit)
        slots = AsyncSemaphore(permits: self.limit)
    }

    public var location: String { inner.location }

    public func save(_ handle: ObjectHandle, data: Data) async throws {
        try await slots.withPermit { try await inner.save(handle, data: data) }
    }

    public func load(_ handle: ObjectHandle, range: Range<Int64>?) async throws -> Data {
        try await slots.withPermit { try await inner.load(handle, range: range) }
    }

    public func stat(_ handle: ObjectHandle) async throws -> ObjectInfo {
        try await slots.withPermit { try await inner.stat(handle) }
    }

    public func list(_ kind: ObjectKind) async throws -> [ObjectInfo] {
        try await slots.withPermit { try await inner.list(kind) }
    }

    public func delete(_ handle: ObjectHandle) async throws {
        try await slots.withPermit { try await inner.delete(handle) }
    }

    public func create() async throws {
        try await slots.withPermit { try await inner.create() }
    }
}
