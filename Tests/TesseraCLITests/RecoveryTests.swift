import Foundation
import Glibc
import Logging
import Testing
import TesseraCore

/// The repository is self-sufficient (a lost cache or lost index files are
/// rebuilt), and damage is found, named and contained.
@Suite("Recovery")
struct RecoveryTests {
    /// A repository with one snapshot of the small tree plus a 1 MiB file; returns the source.
    private func backedUpTree(_ sandbox: Sandbox, initOptions: [String] = []) async throws -> String {
        try await sandbox.initRepository(initOptions)
        let source = sandbox.path("src")
        try Fixtures.makeSmallTree(at: source)
        try FS.write(source + "/data/one-mebibyte.bin", randomBytes(1 << 20, seed: 31))
        let backup = await sandbox.tessera(["backup", "-q", source])
        try #require(backup.status == 0, "\(describe(backup))")
        return source
    }

    private func restoreMatches(_ sandbox: Sandbox, _ source: String, into name: String) async throws {
        let target = sandbox.path(name)
        let restore = await sandbox.tessera(["restore", "latest", "--target", target])
        #expect(restore.status == 0, "\(describe(restore))")
        let differences = try compareTrees(source: bytes(source), restored: bytes(target + source))
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
    }

    @Test func restoreRebuildsADeletedCache() async throws {
        let sandbox = try Sandbox()
        let source = try await backedUpTree(sandbox)
        try FileManager.default.removeItem(atPath: sandbox.cache)

        try await restoreMatches(sandbox, source, into: "target")
        #expect(FS.exists(sandbox.cache), "the cache was not rebuilt")
        let check = await sandbox.tessera(["check"])
        #expect(check.status == 0, "\(describe(check))")
    }

    @Test func indexRebuildRecoversFromLostIndexFilesAndCache() async throws {
        let sandbox = try Sandbox()
        let source = try await backedUpTree(sandbox)
        for name in try FS.names(sandbox.repo + "/index") { try FileManager.default.removeItem(atPath: sandbox.repo + "/index/" + name) }
        try FileManager.default.removeItem(atPath: sandbox.cache)

        let rebuild = await sandbox.tessera(["index", "rebuild"])
        #expect(rebuild.status == 0, "\(describe(rebuild))")
        try await restoreMatches(sandbox, source, into: "target")
        let check = await sandbox.tessera(["check", "--read-data"])
        #expect(check.status == 0, "\(describe(check))")
    }

    @Test func lostIndexFilesAndCacheAreRecoveredFromPackHeadersWithoutBeingAsked() async throws {
        let sandbox = try Sandbox()
        let source = try await backedUpTree(sandbox)
        for name in try FS.names(sandbox.repo + "/index") { try FileManager.default.removeItem(atPath: sandbox.repo + "/index/" + name) }
        try FileManager.default.removeItem(atPath: sandbox.cache)

        // Invariant 6: the next command reads the pack headers by itself.
        try await restoreMatches(sandbox, source, into: "target")
        // check passes, and says that no index file names those packs and what to do.
        let check = await sandbox.tessera(["check"])
        #expect(check.status == 0, "\(describe(check))")
        #expect(check.stderr.contains("not named by any index file") && check.stderr.contains("index rebuild --repository"), "\(describe(check))")
        #expect(await sandbox.tessera(["index", "rebuild", "--repository"]).status == 0)
        let after = await sandbox.tessera(["check"])
        #expect(after.status == 0 && !after.stderr.contains("not named by any index file"), "\(describe(after))")
    }

    @Test func indexRebuildRepositoryWritesAFreshIndexFile() async throws {
        let sandbox = try Sandbox()
        let source = try await backedUpTree(sandbox)
        try FS.write(source + "/later.txt", "a second snapshot\n")
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)
        let oldIndex = Set(try FS.names(sandbox.repo + "/index"))
        try #require(oldIndex.count == 2)

        let rebuild = await sandbox.tessera(["index", "rebuild", "--repository"])
        #expect(rebuild.status == 0, "\(describe(rebuild))")
        let newIndex = Set(try FS.names(sandbox.repo + "/index"))
        #expect(newIndex.count == 1 && newIndex.isDisjoint(with: oldIndex), "index files before \(oldIndex.sorted()), after \(newIndex.sorted())")
        let check = await sandbox.tessera(["check", "--read-data"])
        #expect(check.status == 0, "\(describe(check))")

        // The new index file alone is enough: a fresh cache reads everything from it.
        try FileManager.default.removeItem(atPath: sandbox.cache)
        try await restoreMatches(sandbox, source, into: "target")
    }

    @Test func damagedPackIsNamedAndOnlyItsFileIsLost() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository(["--pack-size", "1"])
        let source = sandbox.path("src")
        try FS.mkdir(source)
        try FS.write(source + "/small1.txt", "first small file\n")
        try FS.write(source + "/small2.txt", "second small file\n")
        let fileA = randomBytes(2 << 20, seed: 41)
        try FS.write(source + "/A.bin", fileA)
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)
        // B in a backup of its own, so its packs hold none of A's data.
        try FS.write(source + "/B.bin", randomBytes(2 << 20, seed: 42))
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)

        // Find the pack holding B's first chunk (through TesseraCore, independently of `check`).
        let repository = try await Repository.open(
            backend: LocalBackend(path: sandbox.repo), password: sandbox.password,
            cacheRoot: sandbox.path("inspect-cache"), logger: Logger(label: "tessera-e2e-inspect")
        )
        var tree = try await repository.loadTree(try repository.resolveSnapshot("latest").snapshot.tree)
        for component in source.split(separator: "/") {
            let node = try #require(tree.node(named: bytes(String(component))))
            tree = try await repository.loadTree(try #require(node.subtree))
        }
        let nodeB = try #require(tree.node(named: bytes("B.bin")))
        guard case .chunk(let chunkID, _) = try #require(nodeB.content.first) else { throw TestFailure("B starts with a hole") }
        let location = try #require(try repository.index.locations(of: chunkID).first)
        let pack = location.pack.hex
        let packPath = sandbox.repo + "/data/" + pack.prefix(2) + "/" + pack
        try FS.corrupt(packPath, at: Int(location.blob.offset) + Int(location.blob.length) / 2, count: 8)

        let check = await sandbox.tessera(["check", "--read-data"])
        #expect(check.status == 1, "\(describe(check))")
        let report = check.stdout + check.stderr
        #expect(report.contains(pack), "check does not name the damaged pack \(pack):\n\(report)")
        #expect(report.contains(source + "/B.bin"), "check does not name the affected file:\n\(report)")
        #expect(!report.contains(source + "/A.bin") && !report.contains("small1.txt"), "check blames undamaged files:\n\(report)")

        let target = sandbox.path("target")
        let restore = await sandbox.tessera(["restore", "latest", "--target", target])
        #expect(restore.status == 1, "\(describe(restore))")
        let relativeB = String((source + "/B.bin").dropFirst())  // with or without the leading slash
        let errors = lines(restore.stderr).filter { $0.hasPrefix("error:") }
        #expect(errors.contains { $0.contains(relativeB) }, "restore does not name the damaged file:\n\(restore.stderr)")
        #expect(errors.allSatisfy { $0.contains("B.bin") }, "restore reports other files:\n\(restore.stderr)")
        #expect(try FS.read(target + source + "/A.bin") == fileA)
        #expect(try FS.read(target + source + "/small1.txt") == bytes("first small file\n"))
        #expect(try FS.read(target + source + "/small2.txt") == bytes("second small file\n"))
    }
}
