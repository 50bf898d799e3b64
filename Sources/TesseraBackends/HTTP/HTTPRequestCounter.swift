import Synchronization

/// Counts the HTTP requests a backend sends, by method, failed and retried
/// ones included: what a provider bills, which `RequestCountingBackend`
/// (one count per backend call) cannot see — a listing takes a request per
/// 1000 objects, a multipart upload one per part plus two.
public final class HTTPRequestCounter: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    public init() {}

    func record(method: String) {
        counts.withLock { $0[method, default: 0] += 1 }
    }

    /// Requests so far by method (`GET`, `PUT`, `HEAD`, `POST`, `DELETE`).
    public var byMethod: [String: Int] { counts.withLock { $0 } }

    public var total: Int { byMethod.values.reduce(0, +) }
}
