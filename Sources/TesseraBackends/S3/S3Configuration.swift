/// Everything an `S3Backend` needs besides its HTTP transport.
public struct S3Configuration: Sendable {
    public var location: S3Location
    public var region: String
    public var credentials: AWSCredentials
    public var addressing: S3Addressing
    /// Objects larger than this are uploaded in parts. Packs (16 MiB by
    /// default) stay below the default and go up in one PUT: one request
    /// instead of four, and packs already upload in parallel.
    public var multipartThreshold: Int
    /// The size of each part but the last; S3 requires at least 5 MiB.
    public var partSize: Int
    /// Parts of one object uploaded at the same time.
    public var partConcurrency: Int

    public static let minimumPartSize = 5 << 20

    /// - Parameter addressing: nil chooses as `S3Addressing.automatic` does.
    public init(
        location: S3Location, region: String, credentials: AWSCredentials, addressing: S3Addressing? = nil,
        multipartThreshold: Int = 64 << 20, partSize: Int = 16 << 20, partConcurrency: Int = 4
    ) {
        self.location = location
        self.region = region
        self.credentials = credentials
        self.addressing = addressing ?? .automatic(for: location)
        self.partSize = max(Self.minimumPartSize, partSize)
        self.multipartThreshold = max(self.partSize, multipartThreshold)
        self.partConcurrency = max(1, partConcurrency)
    }
}
