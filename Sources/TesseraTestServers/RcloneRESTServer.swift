import Foundation

/// `rclone serve restic` on loopback, serving a temporary folder: one per
/// test process, shared by all tests, which each use a path of their own
/// (the server keeps one repository per path).
public struct RcloneRESTServer: Sendable {
    public let endpoint: URL
    /// The folder the server stores everything in.
    public let folder: URL

    public static func shared() async throws -> RcloneRESTServer {
        try await sharedStart.value
    }

    private static let sharedStart = Task<RcloneRESTServer, Error> { try await start().server }

    /// - Parameter credentials: a user name and password the server requires (HTTP basic auth).
    public static func start(credentials: (user: String, password: String)? = nil) async throws -> (server: RcloneRESTServer, process: ServerProcess) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-rclone-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // rclone picks a free port (:0) and names it in its log; the shell
        // stops it when its input closes (the test process ended).
        let script = #"rclone serve restic --addr 127.0.0.1:0 "$@" & child=$!; cat >/dev/null; kill "$child"; wait "$child""#
        var arguments = ["-c", script, "rclone", folder.path]
        if let credentials { arguments += ["--user", credentials.user, "--pass", credentials.password] }
        let process = try ServerProcess(name: "rclone", executable: "/bin/sh", arguments: arguments)
        let address = try await process.waitForLine { line -> String? in
            guard let range = line.range(of: "Serving restic REST API on ") else { return nil }
            return line[range.upperBound...].trimmingCharacters(in: .whitespaces)
        }
        guard let endpoint = URL(string: address) else {
            throw ServerProcess.Failure(description: "rclone announced an invalid address \(address)")
        }
        process.keepForTheWholeRun()
        return (RcloneRESTServer(endpoint: endpoint, folder: folder), process)
    }

    /// The `rest:` repository URL of a fresh path on this server.
    public func freshRepositoryURL() -> String {
        var base = endpoint.absoluteString
        if !base.hasSuffix("/") { base += "/" }
        return "rest:\(base)r-\(UUID().uuidString.lowercased().prefix(12))/"
    }
}
