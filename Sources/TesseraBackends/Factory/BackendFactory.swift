import Foundation
import TesseraCore

/// How the command line wants a backend set up.
public struct BackendOptions: Sendable {
    /// Requests in flight at once; nil for the default (`defaultRemoteConnections`
    /// for a remote repository, no limit for a local folder).
    public var connections: Int?
    /// Bytes per second; nil or 0 for no limit.
    public var uploadBytesPerSecond: Int?
    public var downloadBytesPerSecond: Int?
    public var retryPolicy = RetryPolicy()
    /// Remote reads in windows of a whole pack (restore, check); the mount turns it off:
    /// it loads exactly the blobs a read needs and caches them itself.
    public var windowedReads = true
    /// Told about each failed attempt that will be retried (for logs).
    public var onRetry: (@Sendable (RetryEvent) -> Void)?
    /// Where S3 credentials and the region come from.
    public var environment: [String: String]

    public static let defaultRemoteConnections = 5

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }
}

/// A backend wrapped in its decorators, with handles on the counters.
public struct BackendStack: Sendable {
    /// The outermost layer: what the repository talks to.
    public let backend: any Backend
    /// Calls of each operation, every retried attempt included.
    public let operations: RequestCountingBackend
    /// HTTP requests by method, for remote backends.
    public let httpRequests: HTTPRequestCounter?
    /// Requests allowed in flight at once (nil: no limit).
    public let connections: Int?
    public let url: RepositoryURL
}

/// Builds the backend a repository URL names and wraps it in the decorators.
public enum BackendFactory {
    public static func make(_ url: RepositoryURL, options: BackendOptions) throws -> BackendStack {
        let httpRequests = url.isRemote ? HTTPRequestCounter() : nil
        let base: any Backend
        switch url {
        case .local(let path):
            base = LocalBackend(path: path)
        case .s3(let location):
            let source = AWSCredentialsSource(environment: options.environment)
            let credentials: AWSCredentials
            do {
                credentials = try source.credentials()
            } catch {
                throw TesseraError.invalidArgument("\(error)")
            }
            var addressing: S3Addressing?
            if let chosen = options.environment["TESSERA_S3_ADDRESSING"], !chosen.isEmpty {
                guard let parsed = S3Addressing(rawValue: chosen) else {
                    throw TesseraError.invalidArgument("TESSERA_S3_ADDRESSING is \"\(chosen)\"; use path or virtual-hosted")
                }
                addressing = parsed
            }
            let connections = options.connections ?? BackendOptions.defaultRemoteConnections
            let configuration = S3Configuration(
                location: location, region: source.region ?? "us-east-1", credentials: credentials, addressing: addressing,
                partConcurrency: min(4, connections)
            )
            base = S3Backend(configuration: configuration, transport: HTTPTransport(counter: httpRequests), profile: source.profile)
        case .rest(let location):
            base = RESTBackend(location: location, transport: HTTPTransport(counter: httpRequests))
        }
        return wrap(base, url: url, options: options, httpRequests: httpRequests)
    }

    /// The decorators, innermost first:
    ///
    /// 1. connection limit — holds a slot only while a request is really in
    ///    flight, not while a retry waits out its backoff or the bandwidth
    ///    limiter waits for tokens, so waiting work never starves the rest;
    /// 2. request counting — inside the retries, so every attempt counts,
    ///    as the provider bills it;
    /// 3. bandwidth limit — inside the retries too, so the bytes a retried
    ///    upload sends again are limited like the first ones;
    /// 4. retrying — so one retry loop covers everything below and the
    ///    layers above see either success or a final error;
    /// 5. for remote repositories, windowed reads — outermost, so a window
    ///    fetch is one request that is retried, limited and counted like
    ///    any other, and many small reads of a pack become a few large ones.
    static func wrap(_ base: any Backend, url: RepositoryURL, options: BackendOptions, httpRequests: HTTPRequestCounter?) -> BackendStack {
        let connections = options.connections ?? (url.isRemote ? BackendOptions.defaultRemoteConnections : nil)
        var backend: any Backend = base
        if let connections { backend = ConnectionLimitedBackend(backend, limit: connections) }
        let counting = RequestCountingBackend(backend)
        backend = counting
        if (options.uploadBytesPerSecond ?? 0) > 0 || (options.downloadBytesPerSecond ?? 0) > 0 {
            backend = BandwidthLimitedBackend(backend, uploadBytesPerSecond: options.uploadBytesPerSecond, downloadBytesPerSecond: options.downloadBytesPerSecond)
        }
        backend = RetryingBackend(backend, policy: options.retryPolicy, onRetry: options.onRetry)
        if url.isRemote, options.windowedReads { backend = WindowedReadBackend(backend) }
        return BackendStack(backend: backend, operations: counting, httpRequests: httpRequests, connections: connections, url: url)
    }
}
