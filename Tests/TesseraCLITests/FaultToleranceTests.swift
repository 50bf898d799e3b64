import Foundation
import Testing
import TesseraTestServers

/// `tessera` against S3 (moto) through a proxy that injects faults:
/// server errors, throttling, dropped connections, slow answers.
@Suite("Fault tolerance of remote repositories", .serialized)
struct FaultToleranceTests {
    /// A sandbox whose repository is a fresh bucket reached through `proxy`.
    static func environment(_ server: MotoS3Server, through proxy: FaultProxy, bucket: String) -> [String: String?] {
        var env: [String: String?] = server.environment.mapValues { $0 }
        env["TESSERA_REPOSITORY"] = "s3:\(proxy.endpoint.absoluteString)/\(bucket)"
        return env
    }

    @Test("Backup, restore and check through 10% injected faults finish, byte-identical")
    func tenPercentFaults() async throws {
        let server = try await MotoS3Server.shared()
        let proxy = try await FaultProxy.start(upstream: server.endpoint, rate: 0.10, seed: 7)
        defer { proxy.stop() }
        let sandbox = try Sandbox()
        let env = Self.environment(server, through: proxy, bucket: MotoS3Server.freshBucketName())
        let source = try RemoteRepositoryTests.makeSource(in: sandbox)
        for index in 0..<40 { try FS.write(source + "/docs/note-\(index).txt", "note \(index)\n" + String(repeating: "x", count: index * 997)) }

        try await sandbox.initRepository(env: env)
        let backup = await sandbox.tessera(["backup", source, "--json"], env: env, timeout: 300)
        #expect(backup.status == 0, "\(describe(backup))")
        let target = sandbox.path("restore")
        let restore = await sandbox.tessera(["restore", "latest", "--target", target], env: env, timeout: 300)
        #expect(restore.status == 0, "\(describe(restore))")
        let differences = try compareTrees(source: bytes(source), restored: bytes(target + source))
        #expect(differences.isEmpty, "restored tree differs:\n\(differences.joined(separator: "\n"))")
        let check = await sandbox.tessera(["check", "--read-data"], env: env, timeout: 300)
        #expect(check.status == 0, "\(describe(check))")

        let statistics = try await proxy.statistics()
        // Faults really happened, of every kind, or this test proves nothing.
        #expect(statistics.requests >= 60, "\(statistics)")
        #expect(statistics.totalInjected >= statistics.requests / 20, "\(statistics)")
        #expect(statistics.injected.values.filter { $0 > 0 }.count >= 5, "\(statistics)")
    }

    @Test("With the server down, a backup fails after bounded retries with a clear message; afterwards check passes")
    func serverDown() async throws {
        let server = try await MotoS3Server.shared()
        let proxy = try await FaultProxy.start(upstream: server.endpoint, rate: 0)
        defer { proxy.stop() }
        let sandbox = try Sandbox()
        let env = Self.environment(server, through: proxy, bucket: MotoS3Server.freshBucketName())
        let source = sandbox.path("src")
        try Fixtures.makeSmallTree(at: source)
        try await sandbox.initRepository(env: env)
        let first = await sandbox.tessera(["backup", source], env: env)
        #expect(first.status == 0, "\(describe(first))")

        try FS.write(source + "/data/new.bin", randomBytes(1 << 20, seed: 5))
        try await proxy.down()
        let started = Date()
        let failed = await sandbox.tessera(["backup", source], env: env, timeout: 180)
        let elapsed = Date().timeIntervalSince(started)
        #expect(failed.status == 1, "\(describe(failed))")
        #expect(failed.stderr.contains("gave up after 8 attempts"), "\(describe(failed))")
        #expect(failed.stderr.contains("127.0.0.1"), "the message names the server: \(describe(failed))")
        #expect(failed.stderr.contains("run the command again"), "\(describe(failed))")
        #expect(!failed.stderr.contains("Fatal error"), "\(describe(failed))")
        #expect(elapsed < 120, "bounded retries took \(elapsed) s")

        try await proxy.up()
        let check = await sandbox.tessera(["check"], env: env)
        #expect(check.status == 0, "\(describe(check))")
        let snapshots = await sandbox.tessera(["snapshots", "--json"], env: env)
        #expect(snapshots.status == 0, "\(describe(snapshots))")
    }

    /// The rate itself is held within 20% in TesseraBackendsTests
    /// (BandwidthLimitOverS3Tests), where nothing but the transfer is timed;
    /// here, with chunking and packing in the timed span (and a machine that
    /// may be busy), the check is that the options reach the limiter: the
    /// transfers cannot be faster than the limit allows.
    @Test("--limit-upload and --limit-download slow transfers to the limit")
    func bandwidthLimits() async throws {
        let server = try await MotoS3Server.shared()
        let sandbox = try Sandbox()
        var env: [String: String?] = server.environment.mapValues { $0 }
        env["TESSERA_REPOSITORY"] = server.repositoryURL(bucket: MotoS3Server.freshBucketName())
        try await sandbox.initRepository(env: env)
        let source = sandbox.path("src")
        try FS.mkdir(source)
        try FS.write(source + "/random.bin", randomBytes(6 << 20, seed: 11))
        let rate = 1 << 20  // --limit-* 1024 KiB/s

        let backup = await sandbox.tessera(["backup", source, "--json", "--limit-upload", "1024"], env: env)
        #expect(backup.status == 0, "\(describe(backup))")
        let backupSummary = try #require(summary(backup), "\(describe(backup))")
        let uploaded = try #require(int(backupSummary["backend_requests"] as? [String: Any], "bytes_uploaded"))
        let backupSeconds = try #require((backupSummary["duration_seconds"] as? NSNumber)?.doubleValue)
        // The bucket starts with one second's worth of tokens.
        let leastUpload = Double(uploaded - rate) / Double(rate)
        #expect(backupSeconds >= 0.95 * leastUpload, "backup took \(backupSeconds) s for \(uploaded) bytes at \(rate) B/s")

        let restore = await sandbox.tessera(["restore", "latest", "--target", sandbox.path("restore"), "--json", "--limit-download", "1024"], env: env)
        #expect(restore.status == 0, "\(describe(restore))")
        let restoreSummary = try #require(summary(restore), "\(describe(restore))")
        let downloaded = try #require(int(restoreSummary["backend_requests"] as? [String: Any], "bytes_downloaded"))
        let restoreSeconds = try #require((restoreSummary["duration_seconds"] as? NSNumber)?.doubleValue)
        // Index and snapshot loads before the timed restore used some of the tokens.
        let leastDownload = Double(downloaded - rate) / Double(rate) - 0.5
        #expect(restoreSeconds >= 0.95 * leastDownload, "restore took \(restoreSeconds) s for \(downloaded) bytes at \(rate) B/s")
        #expect(try FS.read(sandbox.path("restore") + source + "/random.bin") == randomBytes(6 << 20, seed: 11))
    }
}
