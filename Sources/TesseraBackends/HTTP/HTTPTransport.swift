import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TesseraCore

/// Sends one HTTP request and returns the whole reply, for the HTTP backends
/// (S3, REST). Failures to reach the server or to get a complete answer
/// (refused or dropped connections, timeouts) become `BackendError.transient`,
/// so `RetryingBackend` sends the request again; the status of a reply is the
/// caller's to judge.
public struct HTTPTransport: Sendable {
    /// The whole request may take this long (a 16 MiB pack on a slow link
    /// included); a stalled connection fails sooner, by the client's read timeout.
    public var requestTimeout: TimeAmount = .minutes(30)

    private let client: HTTPClient
    /// Told about every request sent, answered or not.
    public let counter: HTTPRequestCounter?

    public init(client: HTTPClient = HTTPTransport.sharedClient, counter: HTTPRequestCounter? = nil) {
        self.client = client
        self.counter = counter
    }

    /// One client for the whole process, never shut down: AsyncHTTPClient
    /// requires a shutdown before a client is released, and backends are
    /// plain values with no lifetime to hang one on. Redirects are not
    /// followed (S3 answers a wrong region with one, which must be reported).
    public static let sharedClient: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: HTTPClient.Configuration.Timeout(connect: .seconds(10), read: .seconds(60)),
            connectionPool: HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        )
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// Sends `method url` and collects at most `maxBody` bytes of the reply.
    /// - Parameters:
    ///   - operation, object: name the request in error messages.
    public func send(
        _ method: String, url: String, headers: [(String, String)], body: Data?,
        maxBody: Int, operation: String, object: String
    ) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
        } else if method == "PUT" || method == "POST" {
            request.headers.replaceOrAdd(name: "Content-Length", value: "0")
        }
        counter?.record(method: method)
        do {
            let response = try await client.execute(request, timeout: requestTimeout)
            var buffer = try await response.body.collect(upTo: maxBody)
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            return HTTPReply(
                status: Int(response.status.code),
                headers: response.headers.map { (name: $0.name, value: $0.value) },
                body: Data(bytes)
            )
        } catch {
            if Task.isCancelled || error is CancellationError { throw CancellationError() }
            if let tooLarge = error as? NIOTooManyBytesError {
                throw BackendError.io(operation: operation, object: object, reason: "the server sent more than the \(maxBody) bytes expected (\(tooLarge))")
            }
            // A refused, reset or dropped connection, a timeout, a TLS
            // handshake that broke off: the next attempt may well succeed.
            throw BackendError.transient(operation: operation, object: object, reason: "no answer from \(Self.server(of: url)) (\(Self.describe(error)))", retryAfter: nil)
        }
    }

    /// `scheme://host:port` of a URL: the server, without path or query.
    static func server(of url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return "the server" }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }

    private static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.isEmpty ? "\(type(of: error))" : text
    }
}
