import Foundation
import Testing
import TesseraTestServers

/// The real binary against remote repositories: moto's S3 server (with
/// signatures checked) and `rclone serve restic`, both on loopback.
@Suite("Remote repositories", .serialized)
struct RemoteRepositoryTests {
    /// A small tree plus a 20 MiB file: more than one pack.
    static func makeSource(in sandbox: Sandbox) throws -> String {
        let source = sandbox.path("src")
        try Fixtures.makeSmallTree(at: source)
        try FS.write(source + "/data/large.bin", randomBytes(20 << 20, seed: 42))
        return source
    }

    /// init → backup → restore → check, through `tessera` itself.
    static func fullCycle(_ sandbox: Sandbox, env: [String: String?]) async throws {
        let source = try makeSource(in: sandbox)
        try await sandbox.initRepository(env: env)

        let backup = await sandbox.tessera(["backup", "--json", source], env: env)
        #expect(backup.status == 0, "\(describe(backup))")
        let backupRequests = try #require(summary(backup)?["backend_requests"] as? [String: Any], "\(describe(backup))")
        #expect(int(backupRequests, "save") ?? 0 >= 3, "packs, index, snapshot: \(backupRequests)")
        #expect(int(backupRequests, "bytes_uploaded") ?? 0 >= 20 << 20, "\(backupRequests)")
        let http = try #require(backupRequests["http"] as? [String: Any], "\(backupRequests)")
        #expect(int(http, "PUT") ?? int(http, "POST") ?? 0 >= 3, "\(http)")

        let target = sandbox.path("restore")
        let restore = await sandbox.tessera(["restore", "latest", "--target", target, "--json"], env: env)
        #expect(restore.status == 0, "\(describe(restore))")
        let restoreRequests = try #require(summary(restore)?["backend_requests"] as? [String: Any], "\(describe(restore))")
        #expect(int(restoreRequests, "bytes_downloaded") ?? 0 >= 20 << 20, "\(restoreRequests)")
        // Each pack is read once: no more reads than the backup wrote packs (and index and snapshot).
        #expect(int(restoreRequests, "load_range") ?? .max <= int(backupRequests, "save") ?? 0, "backup \(backupRequests), restore \(restoreRequests)")
        let differences = try compareTrees(source: bytes(source), restored: bytes(target + source))
        #expect(differences.isEmpty, "restored tree differs:\n\(differences.joined(separator: "\n"))")
        #expect(try FS.read(target + source + "/data/large.bin") == randomBytes(20 << 20, seed: 42))

        let check = await sandbox.tessera(["check", "--read-data", "--json"], env: env)
        #expect(check.status == 0, "\(describe(check))")
        #expect(summary(check)?["backend_requests"] != nil, "\(describe(check))")
    }

    @Test("init, backup, restore and check against S3 (moto): byte-identical")
    func fullCycleOnS3() async throws {
        let server = try await MotoS3Server.shared()
        let sandbox = try Sandbox()
        var env: [String: String?] = server.environment.mapValues { $0 }
        // A bucket that does not exist yet: init creates it.
        env["TESSERA_REPOSITORY"] = server.repositoryURL(bucket: MotoS3Server.freshBucketName())
        try await Self.fullCycle(sandbox, env: env)
    }

    @Test("init, backup, restore and check against a restic REST server (rclone): byte-identical")
    func fullCycleOnREST() async throws {
        let server = try await RcloneRESTServer.shared()
        let sandbox = try Sandbox()
        try await Self.fullCycle(sandbox, env: ["TESSERA_REPOSITORY": server.freshRepositoryURL()])
    }

    @Test("A remote repository's mount keeps what it downloads on disk: a second mount copies the same folder without a download")
    func mountReusesItsDiskCache() async throws {
        let server = try await RcloneRESTServer.shared()
        let sandbox = try Sandbox()
        let env: [String: String?] = ["TESSERA_REPOSITORY": server.freshRepositoryURL()]
        let source = try Self.makeSource(in: sandbox)
        try await sandbox.initRepository(env: env)
        try #require(await sandbox.tessera(["backup", "-q", source], env: env).status == 0)

        var downloaded = [Int]()
        for round in 1...2 {
            let mount = try await BackgroundMount(sandbox, at: sandbox.path("mnt"), env: env)
            // cp reads each file from its start: the folder's read-ahead does most of the loading.
            let target = sandbox.path("copy-\(round)")
            let copy = await runTool("/bin/cp", ["-a", mount.point + "/snapshots/latest" + source, target])
            #expect(copy.status == 0, "\(copy.output)")
            let stopped = await mount.stop()
            #expect(stopped.status == 0, "\(describe(stopped))")
            let counts = try #require(summary(stopped), "no JSON summary: \(describe(stopped))")
            downloaded.append(int(counts, "blobs_loaded") ?? -1)
            if round == 2 { #expect(int(counts, "disk_cache_hits") ?? 0 >= 10, "\(counts)") }
            let differences = try compareTrees(source: bytes(source), restored: bytes(target))
            #expect(differences.isEmpty, "copy \(round) differs:\n\(differences.joined(separator: "\n"))")
        }
        #expect(downloaded[0] >= 10, "the first mount downloaded \(downloaded[0]) blobs")
        #expect(downloaded[1] == 0, "the second mount downloaded \(downloaded[1]) blobs again")
    }

    @Test("A wrong S3 secret fails at once with a message naming the bucket and what to check")
    func wrongSecret() async throws {
        let server = try await MotoS3Server.shared()
        let sandbox = try Sandbox()
        let started = Date()
        let result = await sandbox.tessera(["snapshots"], env: [
            "TESSERA_REPOSITORY": server.repositoryURL(bucket: server.bucket), "AWS_ACCESS_KEY_ID": server.accessKeyID,
            "AWS_SECRET_ACCESS_KEY": "wrong", "AWS_DEFAULT_REGION": server.region,
        ])
        #expect(result.status == 1, "\(describe(result))")
        for needle in ["access denied", server.bucket, "AWS_SECRET_ACCESS_KEY", "clock"] {
            #expect(result.stderr.contains(needle), "\(needle): \(describe(result))")
        }
        #expect(!result.stderr.contains("gave up after"), "retried: \(result.stderr)")
        #expect(Date().timeIntervalSince(started) < 20)
    }

    @Test("S3 without credentials says where to put them")
    func missingCredentials() async throws {
        let sandbox = try Sandbox()
        let result = await sandbox.tessera(["snapshots"], env: ["TESSERA_REPOSITORY": "s3:http://127.0.0.1:1/bucket", "HOME": sandbox.root])
        #expect(result.status == 1, "\(describe(result))")
        #expect(result.stderr.contains("AWS_ACCESS_KEY_ID"), "\(describe(result))")
    }

    @Test("Backends not written yet are refused clearly (exit 1); malformed URLs are usage errors (exit 64)")
    func unsupportedAndMalformed() async throws {
        let sandbox = try Sandbox()
        for url in ["gdrive:Backups", "onedrive:Backups", "dropbox:/Backups", "azure:container/prefix"] {
            let result = await sandbox.tessera(["snapshots"], env: ["TESSERA_REPOSITORY": url])
            #expect(result.status == 1, "\(url): \(describe(result))")
            #expect(result.stderr.contains("not supported yet"), "\(url): \(describe(result))")
        }
        for url in ["s3:https://host", "s3:https://host/UPPER", "rest:ftp://host/"] {
            let result = await sandbox.tessera(["snapshots"], env: ["TESSERA_REPOSITORY": url])
            #expect(result.status == 64, "\(url): \(describe(result))")
        }
        let zero = await sandbox.tessera(["snapshots", "--connections", "0"])
        #expect(zero.status == 64, "\(describe(zero))")
    }
}

@Suite("S3 credentials from a profile")
struct S3ProfileCredentialsTests {
    @Test("Credentials and region come from the AWS_PROFILE profile of ~/.aws when the environment has none")
    func profileCredentials() async throws {
        let server = try await MotoS3Server.shared()
        let sandbox = try Sandbox()
        try FS.mkdirs(sandbox.root + "/home/.aws")
        try FS.write(sandbox.root + "/home/.aws/credentials", """
            [default]
            aws_access_key_id = AKIAWRONGWRONGWRONG0
            aws_secret_access_key = wrong

            [tessera]
            aws_access_key_id = \(server.accessKeyID)
            aws_secret_access_key = \(server.secretAccessKey)
            """)
        try FS.write(sandbox.root + "/home/.aws/config", "[profile tessera]\nregion = \(server.region)\n")
        let env: [String: String?] = [
            "HOME": sandbox.root + "/home", "AWS_PROFILE": "tessera",
            "TESSERA_REPOSITORY": server.repositoryURL(bucket: MotoS3Server.freshBucketName()),
        ]
        try await sandbox.initRepository(env: env)
        let snapshots = await sandbox.tessera(["snapshots", "--json"], env: env)
        #expect(snapshots.status == 0, "\(describe(snapshots))")
        // The default profile's key is refused: the profile really chose the key.
        var defaultProfile = env
        defaultProfile["AWS_PROFILE"] = nil
        let refused = await sandbox.tessera(["snapshots"], env: defaultProfile)
        #expect(refused.status == 1, "\(describe(refused))")
        #expect(refused.stderr.contains("[default] profile"), "\(describe(refused))")
    }
}
