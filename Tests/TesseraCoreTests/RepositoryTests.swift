import Foundation
import Logging
import Testing
@testable import TesseraCore

/// A repository in a temporary folder, with fast KDF parameters.
struct ScratchRepository {
    let root: URL
    let repository: Repository

    static func make() async throws -> ScratchRepository {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-repo-\(ID.random().short)")
        var options = Repository.InitOptions()
        options.kdf = PasswordKDF(memory: 1 << 20, iterations: 1)
        options.packSize = 1 << 20
        let repository = try await Repository.initialize(
            backend: LocalBackend(path: root.appendingPathComponent("repo").path), password: "pw", options: options,
            cacheRoot: root.appendingPathComponent("cache").path, logger: Logger(label: "test")
        )
        return ScratchRepository(root: root, repository: repository)
    }

    func reopen(password: String = "pw", cache: String = "cache") async throws -> Repository {
        try await Repository.open(backend: LocalBackend(path: root.appendingPathComponent("repo").path), password: password,
                                  cacheRoot: root.appendingPathComponent(cache).path, logger: Logger(label: "test"))
    }
}

@Suite("Repository")
struct RepositoryTests {
    @Test func initRefusesAnExistingRepositoryAndOpenChecksThePassword() async throws {
        let scratch = try await ScratchRepository.make()
        await #expect(throws: TesseraError.self) {
            _ = try await Repository.initialize(backend: scratch.repository.backend, password: "x", options: .init(),
                                                cacheRoot: scratch.root.path, logger: Logger(label: "t"))
        }
        let reopened = try await scratch.reopen()
        #expect(reopened.config.id == scratch.repository.config.id)
        await #expect {
            _ = try await scratch.reopen(password: "nope")
        } throws: { error in
            if case TesseraError.wrongPassword = error { return true }
            return false
        }
    }

    @Test func blobsWrittenThroughTheWriterLoadFromANewCache() async throws {
        let scratch = try await ScratchRepository.make()
        let repository = scratch.repository
        let writer = RepositoryWriter(repository: repository)
        var blobs = [ID: Data]()
        var generator = SystemRandomNumberGenerator()
        for index in 0..<300 {
            // Incompressible, so that 300 blobs of ~9 KB fill more than one 1 MiB pack.
            let data = Data((0..<(9000 + index)).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let id = repository.master.blobID(of: data)
            blobs[id] = data
            try await writer.store(type: .data, id: id, plaintext: data)
            #expect(try await writer.store(type: .data, id: id, plaintext: data) == 0)  // deduplicated
        }
        try await writer.flush()
        #expect(try await repository.backend.list(.data).count > 1)  // 1 MiB packs
        let fresh = try await scratch.reopen(cache: "another-cache")
        for (id, data) in blobs { #expect(try await fresh.loadBlob(id) == data) }
    }

    @Test func packsWithoutIndexFilesAreReadFromTheirHeadersButNotDeduplicatedAgainst() async throws {
        let scratch = try await ScratchRepository.make()
        let writer = RepositoryWriter(repository: scratch.repository)
        let data = Data(repeating: 3, count: 5000)
        let id = scratch.repository.master.blobID(of: data)
        try await writer.store(type: .data, id: id, plaintext: data)
        try await writer.flush()
        for info in try await scratch.repository.backend.list(.index) { try await scratch.repository.backend.delete(info.handle) }
        // A new cache finds the pack from its header (invariant 6)...
        let fresh = try await scratch.reopen(cache: "empty-cache")
        #expect(try await fresh.loadBlob(id) == data)
        // ...but a new backup must not rely on a pack no index file names.
        #expect(try !fresh.index.contains(id, indexedOnly: true))
        #expect(try RepositoryWriter(repository: fresh).claim(id))
        let report = try await fresh.rebuildIndex(writeRepositoryIndex: true)
        #expect(report.blobs == 1 && report.indexFileWritten != nil)
        #expect(try fresh.index.contains(id, indexedOnly: true))
        #expect(try await fresh.loadBlob(id) == data)
    }

    @Test func sharedLocksCoexistAndExclusiveLocksExclude() async throws {
        let scratch = try await ScratchRepository.make()
        let repository = scratch.repository
        let first = try await RepositoryLock.acquire(repository, exclusive: false, command: "a")
        let second = try await RepositoryLock.acquire(repository, exclusive: false, command: "b")
        await #expect {
            _ = try await RepositoryLock.acquire(repository, exclusive: true, command: "c")
        } throws: { error in
            if case TesseraError.repositoryLocked = error { return true }
            return false
        }
        await first.release()
        await second.release()
        #expect(try await repository.backend.list(.lock).isEmpty)
        let exclusive = try await RepositoryLock.acquire(repository, exclusive: true, command: "d")
        await #expect(throws: TesseraError.self) { _ = try await RepositoryLock.acquire(repository, exclusive: false, command: "e") }
        await exclusive.release()
    }

    @Test func lockOfADeadProcessIsStaleAndRemovedByUnlock() async throws {
        let scratch = try await ScratchRepository.make()
        let repository = scratch.repository
        let dead = LockRecord(exclusive: true, time: Date(), host: SystemIdentity.hostName, username: "u", pid: Int32.max - 1, command: "gone")
        #expect(dead.isStale(now: Date(), localHost: SystemIdentity.hostName))
        let old = LockRecord(exclusive: true, time: Date(timeIntervalSinceNow: -3600), host: "elsewhere", username: "u", pid: 1, command: "old")
        #expect(old.isStale(now: Date(), localHost: SystemIdentity.hostName))
        let live = LockRecord(exclusive: true, time: Date(), host: "elsewhere", username: "u", pid: 1, command: "live")
        #expect(!live.isStale(now: Date(), localHost: SystemIdentity.hostName))
        for record in [dead, live] {
            try await repository.backend.save(ObjectHandle(kind: .lock, id: ID.random()),
                                              data: repository.master.sealer.seal(try JSONCoding.encoder.encode(record), purpose: .lock))
        }
        // The live exclusive lock blocks; the dead one would not.
        await #expect(throws: TesseraError.self) { _ = try await RepositoryLock.acquire(repository, exclusive: false, command: "x") }
        #expect(try await RepositoryLock.removeLocks(in: repository, all: false) == 1)
        #expect(try await repository.backend.list(.lock).count == 1)
    }

    @Test func snapshotsResolveByPrefixAndLatest() async throws {
        let scratch = try await ScratchRepository.make()
        let repository = scratch.repository
        let tree = ID.random()
        let older = try await repository.saveSnapshot(Snapshot(time: Date(timeIntervalSince1970: 1000), host: "a", username: "u", paths: [Array("/x".utf8)], tags: [], tree: tree, parent: nil, excludes: [], summary: nil))
        let newer = try await repository.saveSnapshot(Snapshot(time: Date(timeIntervalSince1970: 2000), host: "b", username: "u", paths: [Array("/x".utf8)], tags: [], tree: tree, parent: nil, excludes: [], summary: nil))
        #expect(try repository.resolveSnapshot("latest").id == newer)
        #expect(try repository.resolveSnapshot("latest", host: "a").id == older)
        #expect(try repository.resolveSnapshot(String(older.hex.prefix(10))).id == older)
        #expect(throws: TesseraError.self) { try repository.resolveSnapshot("abc") }
        #expect(throws: TesseraError.self) { try repository.resolveSnapshot("latest", host: "nobody") }
        // A second host sees both after synchronising from the repository.
        let other = try await scratch.reopen(cache: "other")
        #expect(try other.snapshots().map(\.id) == [older, newer])
    }
}
