import Crypto
import Foundation

/// Which packs `check` reads in full.
public enum ReadDataSelection: Sendable, Equatable {
    case all
    /// A random share of the packs, in percent.
    case percent(Double)
    /// Group `n` of `m` (1-based): every m-th pack, so m runs cover everything once.
    case group(n: Int, m: Int)

    /// Parses `N%` or `N/M` as `--read-data-subset` takes them.
    public init?(subset: String) {
        if subset.hasSuffix("%"), let value = Double(subset.dropLast()), value > 0, value <= 100 {
            self = .percent(value)
        } else {
            let parts = subset.split(separator: "/")
            guard parts.count == 2, let n = Int(parts[0]), let m = Int(parts[1]), m >= 1, (1...m).contains(n) else { return nil }
            self = .group(n: n, m: m)
        }
    }
}

public struct CheckReport: Sendable {
    /// Problems that make data unreadable or the repository inconsistent.
    public var errors: [String] = []
    /// Harmless findings (packs no index names, left by an interrupted backup).
    public var warnings: [String] = []
    public var snapshots = 0
    public var trees = 0
    public var packs = 0
    public var packsRead = 0
    public var blobsRead = 0
    /// Files that lose data, as "snapshot <id>: <path>".
    public var affectedFiles: [String] = []
    public var damagedPacks: [String] = []

    public var isClean: Bool { errors.isEmpty }
}

public protocol CheckObserver: Sendable {
    func progress(step: String, done: Int, total: Int)
}

/// Verifies a repository: index files decode, every indexed pack exists with
/// its size, every snapshot's trees decode and reference only indexed blobs;
/// with `readData`, every selected pack is read whole and each blob decrypted
/// and checked against its id. Damage is traced to the snapshots and files it
/// affects (invariant 7).
public struct Checker: Sendable {
    public let repository: Repository
    public let observer: (any CheckObserver)?

    public init(repository: Repository, observer: (any CheckObserver)? = nil) {
        self.repository = repository
        self.observer = observer
    }

    public func run(readData: ReadDataSelection?) async throws -> CheckReport {
        var report = CheckReport()
        try await checkIndexFiles(&report)
        let packs = try await checkPacks(&report)
        var damagedBlobs = Set<ID>()
        if let readData {
            damagedBlobs = try await readPacks(select(packs, readData), report: &report)
        }
        try await checkSnapshots(&report, damagedBlobs: damagedBlobs)
        return report
    }

    private func checkIndexFiles(_ report: inout CheckReport) async throws {
        for info in try await repository.backend.list(.index) {
            guard let id = ID(hex: info.handle.name) else {
                report.warnings.append("index/\(info.handle.name) is not a tessera object name")
                continue
            }
            do {
                _ = try await repository.loadIndexFile(id)
            } catch {
                report.errors.append("\(error)")
            }
        }
    }

    /// Compares the packs the index names with those the backend holds. Returns the indexed packs that exist.
    private func checkPacks(_ report: inout CheckReport) async throws -> [LocalIndex.PackRecord] {
        let stored = Dictionary(try await repository.backend.list(.data).map { ($0.handle.name, $0.size) }, uniquingKeysWith: { first, _ in first })
        let indexed = try repository.index.packs()
        var present = [LocalIndex.PackRecord]()
        for pack in indexed {
            guard let size = stored[pack.id.hex] else {
                report.errors.append("pack \(pack.id.hex) is in the index but missing from the repository")
                report.damagedPacks.append(pack.id.hex)
                continue
            }
            if size != pack.size {
                report.errors.append("pack \(pack.id.hex) has \(size) bytes, the index says \(pack.size)")
                report.damagedPacks.append(pack.id.hex)
            }
            present.append(pack)
        }
        let namedByIndexFiles = Set(indexed.filter { $0.indexID != nil }.map(\.id.hex))
        let unreferenced = stored.keys.filter { !namedByIndexFiles.contains($0) }
        if !unreferenced.isEmpty {
            report.warnings.append("\(unreferenced.count) pack(s) are not named by any index file: left by an interrupted backup (harmless), or the index files were lost (then run `tessera index rebuild --repository`)")
        }
        report.packs = stored.count
        return present
    }

    private func select(_ packs: [LocalIndex.PackRecord], _ selection: ReadDataSelection) -> [LocalIndex.PackRecord] {
        let sorted = packs.sorted { $0.id < $1.id }
        switch selection {
        case .all:
            return sorted
        case .percent(let percent):
            let count = Int((Double(sorted.count) * percent / 100).rounded(.up))
            return Array(sorted.shuffled().prefix(count))
        case .group(let n, let m):
            return sorted.enumerated().filter { $0.offset % m == n - 1 }.map(\.element)
        }
    }

    /// Reads packs whole; returns the ids of blobs that failed to verify.
    private func readPacks(_ packs: [LocalIndex.PackRecord], report: inout CheckReport) async throws -> Set<ID> {
        var damaged = Set<ID>()
        for (number, pack) in packs.enumerated() {
            observer?.progress(step: "read data", done: number, total: packs.count)
            let indexedBlobs = try repository.index.blobs(inPack: pack.id)
            let problems = await verifyPack(pack, indexedBlobs: indexedBlobs)
            report.packsRead += 1
            report.blobsRead += indexedBlobs.count
            if !problems.damagedBlobs.isEmpty || problems.message != nil {
                report.damagedPacks.append(pack.id.hex)
                report.errors.append("pack \(pack.id.hex) is damaged: \(problems.message ?? "\(problems.damagedBlobs.count) blob(s) fail to decrypt or verify")")
                damaged.formUnion(problems.damagedBlobs)
            }
        }
        observer?.progress(step: "read data", done: packs.count, total: packs.count)
        return damaged
    }

    private func verifyPack(_ pack: LocalIndex.PackRecord, indexedBlobs: [PackedBlob]) async -> (damagedBlobs: Set<ID>, message: String?) {
        let bytes: Data
        do {
            bytes = try await repository.backend.load(ObjectHandle(kind: .data, id: pack.id))
        } catch {
            return (Set(indexedBlobs.map(\.id)), "cannot be read: \(error)")
        }
        var message: String?
        if PackFormat.packID(of: bytes) != pack.id {
            message = "its SHA-256 does not match its name"
        }
        do {
            guard let header = try PackFormat.header(fromTail: bytes, packSize: bytes.count, sealer: repository.master.sealer) else {
                throw FormatError.truncated
            }
            if Set(header.blobs) != Set(indexedBlobs) {
                message = message ?? "its header does not match the index"
            }
        } catch {
            message = message ?? "its header is unreadable (\(error))"
        }
        var damaged = Set<ID>()
        for blob in indexedBlobs {
            guard blob.offset <= UInt64(bytes.count), UInt64(blob.length) <= UInt64(bytes.count) - blob.offset else {
                damaged.insert(blob.id)
                continue
            }
            let end = Int(blob.offset) + Int(blob.length)
            let sealed = bytes.subdata(in: Int(blob.offset)..<end)
            if (try? repository.codec.decode(sealed, id: blob.id, rawLength: Int(blob.rawLength))) == nil {
                damaged.insert(blob.id)
            }
        }
        return (damaged, message)
    }

    /// Walks every snapshot's trees (each distinct tree once), checking that
    /// every referenced blob is indexed and, after a read, undamaged.
    private func checkSnapshots(_ report: inout CheckReport, damagedBlobs: Set<ID>) async throws {
        let snapshots = try repository.snapshots()
        report.snapshots = snapshots.count
        let listed = try await repository.backend.list(.snapshot).count
        if listed != snapshots.count {
            report.errors.append("\(listed - snapshots.count) snapshot object(s) cannot be read")
        }
        var checkedTrees = [ID: Bool]()  // tree id -> whether anything below it is damaged
        for (number, (id, snapshot)) in snapshots.enumerated() {
            observer?.progress(step: "snapshots", done: number, total: snapshots.count)
            _ = try await walk(snapshot.tree, path: [], snapshot: id, damaged: damagedBlobs, checked: &checkedTrees, report: &report)
        }
        report.trees = checkedTrees.count
    }

    /// Returns whether anything in this tree is damaged or missing.
    private func walk(_ tree: ID, path: [UInt8], snapshot: ID, damaged: Set<ID>, checked: inout [ID: Bool], report: inout CheckReport) async throws -> Bool {
        if let known = checked[tree] {
            // Already checked in another snapshot: only re-walk to name files when it is damaged.
            if !known { return false }
        }
        let firstVisit = checked[tree] == nil
        let listing: Tree
        do {
            guard try repository.index.contains(tree) else { throw TesseraError.blobMissing(tree) }
            listing = try Tree.decode(try await repository.loadBlob(tree))
        } catch {
            if firstVisit { report.errors.append("tree \(tree.short) at \(PathBytes.display(path.isEmpty ? [PathBytes.slash] : path)) in snapshot \(snapshot.short): \(error)") }
            checked[tree] = true
            report.affectedFiles.append("snapshot \(snapshot.short): \(PathBytes.display(path.isEmpty ? [PathBytes.slash] : path)) (whole directory)")
            return true
        }
        var bad = false
        for node in listing.nodes {
            let nodePath = PathBytes.child(path, node.name)
            if node.type == .directory, let subtree = node.subtree {
                if try await walk(subtree, path: nodePath, snapshot: snapshot, damaged: damaged, checked: &checked, report: &report) { bad = true }
                continue
            }
            var lost = false
            for case .chunk(let id, _) in node.content {
                if damaged.contains(id) {
                    lost = true
                } else if try !repository.index.contains(id) {
                    if firstVisit { report.errors.append("blob \(id.short) of \(PathBytes.display(nodePath)) in snapshot \(snapshot.short) is missing") }
                    lost = true
                }
            }
            if lost {
                bad = true
                report.affectedFiles.append("snapshot \(snapshot.short): \(PathBytes.display(nodePath))")
            }
        }
        checked[tree] = bad
        return bad
    }
}
