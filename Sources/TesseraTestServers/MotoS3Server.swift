import Foundation

/// moto's S3 server on loopback with signatures checked
/// (scripts/testing/moto-s3-server.py): one per test process, shared by all
/// tests, which each use a bucket of their own.
public struct MotoS3Server: Sendable {
    public let endpoint: URL
    /// The bucket the server starts with.
    public let bucket: String
    public let region: String
    public let accessKeyID: String
    public let secretAccessKey: String

    /// The server every test of this process shares; started on first use.
    public static func shared() async throws -> MotoS3Server {
        try await sharedStart.value
    }

    private static let sharedStart = Task<MotoS3Server, Error> { try await start().server }

    private struct Announcement: Decodable {
        var endpoint: String
        var bucket: String
        var region: String
        var access_key_id: String
        var secret_access_key: String
    }

    /// Starts a server of its own (most tests share one instead).
    public static func start() async throws -> (server: MotoS3Server, process: ServerProcess) {
        let script = ServerProcess.repositoryRoot.appendingPathComponent("scripts/testing/moto-s3-server.py").path
        let process = try ServerProcess(name: "moto", executable: "/usr/bin/env", arguments: ["python3", script])
        let announcement = try await process.waitForLine { line -> Announcement? in
            guard line.hasPrefix("{") else { return nil }
            return try? JSONDecoder().decode(Announcement.self, from: Data(line.utf8))
        }
        guard let endpoint = URL(string: announcement.endpoint) else {
            throw ServerProcess.Failure(description: "moto announced an invalid endpoint \(announcement.endpoint)")
        }
        process.keepForTheWholeRun()
        let server = MotoS3Server(
            endpoint: endpoint, bucket: announcement.bucket, region: announcement.region,
            accessKeyID: announcement.access_key_id, secretAccessKey: announcement.secret_access_key
        )
        return (server, process)
    }

    /// The `s3:` repository URL of `bucket[/prefix]` on this server.
    public func repositoryURL(bucket: String, prefix: String = "") -> String {
        "s3:\(endpoint.absoluteString)/\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)")
    }

    /// A new bucket name, unique in this process.
    public static func freshBucketName() -> String {
        "t-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
    }

    /// The environment that gives these credentials to `tessera`.
    public var environment: [String: String] {
        ["AWS_ACCESS_KEY_ID": accessKeyID, "AWS_SECRET_ACCESS_KEY": secretAccessKey, "AWS_DEFAULT_REGION": region]
    }
}
