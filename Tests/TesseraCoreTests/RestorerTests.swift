import Foundation
import Glibc
import Logging
import Synchronization
import Testing
@testable import TesseraCore

/// Counts the loads of each pack, to see how a restore reads them.
final class PackLoadCounter: Backend {
    let inner: any Backend
    let loads = Mutex<[String: Int]>([:])

    init(_ inner: any Backend) { self.inner = inner }

    var location: String { inner.location }
    func load(_ handle: ObjectHandle, range: Range<Int64>?) async throws -> Data {
        if handle.kind == .data { loads.withLock { $0[handle.name, default: 0] += 1 } }
        return try await inner.load(handle, range: range)
    }
    func save(_ handle: ObjectHandle, data: Data) async throws { try await inner.save(handle, data: data) }
    func stat(_ handle: ObjectHandle) async throws -> ObjectInfo { try await inner.stat(handle) }
    func list(_ kind: ObjectKind) async throws -> [ObjectInfo] { try await inner.list(kind) }
    func delete(_ handle: ObjectHandle) async throws { try await inner.delete(handle) }
}

private final class QuietObserver: RestoreObserver, BackupObserver {
    let problems = Mutex<[String]>([])
    func entry(path: String, type: NodeType, size: UInt64, action: RestoreAction) {}
    func problem(path: String, reason: String) { problems.withLock { $0.append("\(path): \(reason)") } }
    func unreadable(path: String, reason: String) { problems.withLock { $0.append("\(path): \(reason)") } }
}

@Suite("Restorer")
struct RestorerTests {
    /// Many small files over several 1 MiB packs, some content shared, a
    /// hardlink pair in two folders, a sparse file and a read-only folder.
    private func makeSource(_ scratch: FileSystemScratch) throws {
        var generator = SystemRandomNumberGenerator()
        func random(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        let shared = random(40_000)
        for folder in ["a", "b", "c"] {
            try scratch.makeDirectory(rawName(folder))
            for index in 0..<25 {
                try scratch.writeFile(rawName("\(folder)/file\(index)"), index % 5 == 0 ? shared : random(30_000 + index * 997))
            }
        }
        guard link(scratch.cPath(rawName("a/file1")), scratch.cPath(rawName("b/linked"))) == 0 else { throw FileSystemError(operation: "link", path: [], code: errno) }
        let sparse = open(scratch.cPath(rawName("c/sparse")), O_WRONLY | O_CREAT, 0o644)
        let tail = random(5000)
        _ = tail.withUnsafeBytes { pwrite(sparse, $0.baseAddress, $0.count, 3 << 20) }
        ftruncate(sparse, 5 << 20)
        close(sparse)
        try scratch.makeDirectory(rawName("readonly"))
        try scratch.writeFile(rawName("readonly/inside"), random(12_000))
        try scratch.changeMode(rawName("readonly"), 0o555)
    }

    private struct Entry: Equatable {
        var type: mode_t
        var mode: mode_t
        var links: Int
        var bytes: Data?
    }

    /// Every entry's type, mode and link count, and each file's bytes, by relative path.
    private func contents(_ root: [UInt8]) throws -> [String: Entry] {
        let base = String(decoding: root, as: UTF8.self)
        var result = [String: Entry]()
        for case let relative as String in FileManager.default.enumerator(atPath: base) ?? FileManager.DirectoryEnumerator() {
            var info = stat()
            guard lstat(base + "/" + relative, &info) == 0 else { continue }
            let isFile = (info.st_mode & S_IFMT) == S_IFREG
            result[relative] = Entry(type: info.st_mode & S_IFMT, mode: info.st_mode & 0o7777, links: Int(info.st_nlink),
                                     bytes: isFile ? try Data(contentsOf: URL(fileURLWithPath: base + "/" + relative)) : nil)
        }
        return result
    }

    @Test func eachPackIsReadOncePerBatchAndSmallBatchesRestoreTheSame() async throws {
        let source = try FileSystemScratch()
        try makeSource(source)
        defer { try? source.changeMode(rawName("readonly"), 0o755) }
        let scratch = try await ScratchRepository.make()
        let observer = QuietObserver()
        let backup = try await Archiver(repository: scratch.repository, options: BackupOptions(paths: [source.path]), statistics: BackupStatistics(), observer: observer).run()
        let packs = try scratch.repository.index.packs().count
        #expect(packs >= 3, "the source should fill several 1 MiB packs")

        let counter = PackLoadCounter(LocalBackend(path: scratch.root.appendingPathComponent("repo").path))
        let repository = try await Repository.open(backend: counter, password: "pw", cacheRoot: scratch.root.appendingPathComponent("cache").path, logger: Logger(label: "test"))
        let expected = try contents(source.path)

        for maxBatchFiles in [50_000, 4] {
            counter.loads.withLock { $0 = [:] }
            let target = try FileSystemScratch()
            var options = RestoreOptions(target: String(decoding: target.path, as: UTF8.self))
            options.subpath = source.path
            options.maxBatchFiles = maxBatchFiles
            options.verify = true
            let report = try await Restorer(repository: repository, options: options, observer: observer).run(snapshot: backup.snapshot)
            #expect(observer.problems.withLock { $0 }.isEmpty, "\(observer.problems.withLock { $0 })")
            #expect(report.verifiedFiles == 77)
            #expect(try contents(target.path) == expected, "batches of \(maxBatchFiles) files")
            let loads = counter.loads.withLock { $0 }
            if maxBatchFiles == 50_000 {
                // One batch: every pack that holds file content is read exactly once.
                #expect(!loads.isEmpty && loads.values.allSatisfy { $0 == 1 }, "loads per pack: \(loads.values.sorted())")
            } else {
                #expect(loads.values.reduce(0, +) > loads.count, "small batches should read some packs again")
            }
        }
    }

    @Test func planGroupsByPackMergesNeighboursAndCutsLongRuns() throws {
        let packA = ID.random(), packB = ID.random()
        let ids = (0..<6).map { _ in ID.random() }
        // id 0,1 close together in A; id 2 far away in A; id 3 in B; id 4 nowhere; id 5 in A right after 1.
        let places: [ID: (ID, UInt64, UInt32)] = [
            ids[0]: (packA, 0, 100), ids[1]: (packA, 150, 100), ids[2]: (packA, 10 << 20, 100),
            ids[3]: (packB, 500, 50), ids[5]: (packA, 250, 100),
        ]
        let files: [[ContentPiece]] = [
            [.chunk(ids[3], length: 10), .chunk(ids[0], length: 10), .hole(length: 5), .chunk(ids[1], length: 10)],
            [.chunk(ids[0], length: 10), .chunk(ids[4], length: 7), .chunk(ids[2], length: 10), .chunk(ids[5], length: 10)],
        ]
        let plan = try ContentPlan(files: files, mergeGap: 1000, maxRead: 300) { id in
            places[id].map { LocalIndex.BlobLocation(pack: $0.0, blob: PackedBlob(type: .data, id: id, offset: $0.1, length: $0.2, rawLength: 10)) }
        }
        // B first: the first file needs it first.
        #expect(plan.reads.map(\.pack) == [packB, packA, packA, packA])
        #expect(plan.reads.map(\.range) == [500..<550, 0..<250, 250..<350, (10 << 20)..<((10 << 20) + 100)] as [Range<Int64>])
        let first = try #require(plan.reads.dropFirst().first)
        #expect(first.blobs.map(\.location.blob.id) == [ids[0], ids[1]])
        #expect(first.blobs[0].targets == [.init(file: 0, offset: 10), .init(file: 1, offset: 0)])
        #expect(first.blobs[1].targets == [.init(file: 0, offset: 25)])
        #expect(plan.missing == [.init(target: .init(file: 1, offset: 10), length: 7, id: ids[4])])
    }
}
