import Foundation
import TesseraCore

/// Limits the average upload and download rates of the backend it wraps, each
/// with its own token bucket that allows bursts of one second's worth.
///
/// A save waits for its tokens before it starts. A load is charged after it
/// returns, since the size of a whole-object load is known only then; the
/// average rate holds either way, and the next request pays the wait.
public struct BandwidthLimitedBackend: Backend {
    public let inner: any Backend
    private let upload: TokenBucket?
    private let download: TokenBucket?

    /// - Parameters:
    ///   - uploadBytesPerSecond: the upload limit; nil or zero means unlimited.
    ///   - downloadBytesPerSecond: the download limit; nil or zero means unlimited.
    ///   - clock: measures and waits (real time by default).
    public init(_ inner: any Backend, uploadBytesPerSecond: Int?, downloadBytesPerSecond: Int?, clock: any BackendClock = SystemClock()) {
        self.inner = inner
        upload = Self.bucket(uploadBytesPerSecond, clock: clock)
        download = Self.bucket(downloadBytesPerSecond, clock: clock)
    }

    private static func bucket(_ bytesPerSecond: Int?, clock: any BackendClock) -> TokenBucket? {
        guard let bytesPerSecond, bytesPerSecond > 0 else { return nil }
        return TokenBucket(rate: Double(bytesPerSecond), clock: clock)
    }

    public var location: String { inner.location }

    public func save(_ handle: ObjectHandle, data: Data) async throws {
        try await upload?.take(data.count)
        try await inner.save(handle, data: data)
    }

    public func load(_ handle: ObjectHandle, range: Range<Int64>?) async throws -> Data {
        let data = try await inner.load(handle, range: range)
        try await download?.take(data.count)
        return data
    }

    public func stat(_ handle: ObjectHandle) async throws -> ObjectInfo { try await inner.stat(handle) }

    public func list(_ kind: ObjectKind) async throws -> [ObjectInfo] { try await inner.list(kind) }

    public func delete(_ handle: ObjectHandle) async throws { try await inner.delete(handle) }

    public func create() async throws { try await inner.create() }
}
