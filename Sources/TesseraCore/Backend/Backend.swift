import Foundation

/// The folders of a repository (design.md "Repository layout").
public enum ObjectKind: String, Sendable, CaseIterable {
    case config
    case key = "keys"
    case data
    case index
    case snapshot = "snapshots"
    case lock = "locks"
}

/// One object in a repository: a kind and a name (a hex id, or "config").
public struct ObjectHandle: Hashable, Sendable, CustomStringConvertible {
    public var kind: ObjectKind
    public var name: String

    public init(kind: ObjectKind, name: String) {
        self.kind = kind
        self.name = name
    }

    public init(kind: ObjectKind, id: ID) { self.init(kind: kind, name: id.hex) }

    public static let config = ObjectHandle(kind: .config, name: "config")

    /// The path relative to the repository root; packs are spread over 256 folders.
    public var path: String {
        switch kind {
        case .config: "config"
        case .data: "data/\(name.prefix(2))/\(name)"
        default: "\(kind.rawValue)/\(name)"
        }
    }

    public var description: String { path }
}

public struct ObjectInfo: Hashable, Sendable {
    public var handle: ObjectHandle
    public var size: Int64
    public init(handle: ObjectHandle, size: Int64) {
        self.handle = handle
        self.size = size
    }
}

/// Where a repository's objects are stored. Small on purpose: everything above
/// it is backend-agnostic, and every backend passes one conformance suite.
///
/// Objects are immutable: `save` writes a whole object atomically (readers never
/// see a partial object) and never needs to modify one.
public protocol Backend: Sendable {
    /// A human-readable location, for messages.
    var location: String { get }

    func save(_ handle: ObjectHandle, data: Data) async throws
    /// The whole object, or `range` of it. Throws `BackendError.notFound` when absent.
    func load(_ handle: ObjectHandle, range: Range<Int64>?) async throws -> Data
    func stat(_ handle: ObjectHandle) async throws -> ObjectInfo
    func list(_ kind: ObjectKind) async throws -> [ObjectInfo]
    func delete(_ handle: ObjectHandle) async throws
    /// Prepares the location for a new repository (a folder layout, a bucket);
    /// `Repository.initialize` calls it once, before the first save. Decorators
    /// forward it, so the preparation reaches the backend however it is wrapped.
    func create() async throws
}

extension Backend {
    /// Most backends need nothing before the first save.
    public func create() async throws {}

    public func load(_ handle: ObjectHandle) async throws -> Data { try await load(handle, range: nil) }

    public func exists(_ handle: ObjectHandle) async throws -> Bool {
        do {
            _ = try await stat(handle)
            return true
        } catch BackendError.notFound {
            return false
        }
    }
}

/// Errors every backend reports in the same terms.
public enum BackendError: Error, CustomStringConvertible, Sendable {
    case notFound(ObjectHandle)
    case io(operation: String, object: String, reason: String)
    /// A failure that may pass if the same request is sent again (a 5xx, 429,
    /// a timeout, a dropped connection); `retryAfter` is the server's own delay.
    case transient(operation: String, object: String, reason: String, retryAfter: TimeInterval?)
    /// A transient failure that persisted through every attempt a retry allowed;
    /// not transient itself, so no outer layer multiplies the retries.
    indirect case retriesExhausted(attempts: Int, last: BackendError)

    public var description: String {
        switch self {
        case .notFound(let handle): "\(handle.path) does not exist"
        case .io(let operation, let object, let reason): "cannot \(operation) \(object): \(reason)"
        case .transient(let operation, let object, let reason, _): "cannot \(operation) \(object): \(reason)"
        case .retriesExhausted(let attempts, let last):
            "\(last.description) (gave up after \(attempts) \(attempts == 1 ? "attempt" : "attempts"))"
        }
    }

    /// Whether sending the same request again may succeed. Missing objects and
    /// local I/O errors will not change by retrying.
    public var isTransient: Bool {
        if case .transient = self { return true }
        return false
    }

    /// How long the server asked to wait before the next attempt, if it said.
    public var retryAfter: TimeInterval? {
        if case .transient(_, _, _, let retryAfter) = self { return retryAfter }
        return nil
    }
}
