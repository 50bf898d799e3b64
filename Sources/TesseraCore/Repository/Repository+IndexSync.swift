import Foundation

extension Repository {
    /// Brings the local index up to date with the repository: reads index files
    /// and snapshots it has not seen and forgets those that are gone. This is
    /// what lets several hosts share a repository, and what rebuilds a deleted
    /// cache (invariant 6).
    public func synchronizeIndex() async throws {
        try await synchronizeIndexFiles()
        try await indexPacksWithoutIndexFile()
        try await synchronizeSnapshots()
    }

    /// New and removed index files and snapshots only: two listings, cheap
    /// enough for the mount to call every few seconds. A finished backup
    /// writes its index files before its snapshot, so whatever a new snapshot
    /// needs is found this way.
    public func synchronizeIndexAndSnapshots() async throws {
        try await synchronizeIndexFiles()
        try await synchronizeSnapshots()
    }

    private func synchronizeIndexFiles() async throws {
        let known = try index.knownIndexFiles()
        let present = Set(try await backend.list(.index).compactMap { ID(hex: $0.handle.name) })
        for gone in known.subtracting(present) { try index.removeIndexFile(gone) }
        for id in present.subtracting(known).sorted() {
            let file = try await loadIndexFile(id)
            try index.addPacks(file.packs, indexID: id)
        }
    }

    private func synchronizeSnapshots() async throws {
        let knownSnapshots = try index.knownSnapshots()
        let presentSnapshots = Set(try await backend.list(.snapshot).compactMap { ID(hex: $0.handle.name) })
        for gone in knownSnapshots.subtracting(presentSnapshots) { try index.removeSnapshot(gone) }
        for id in presentSnapshots.subtracting(knownSnapshots).sorted() {
            do {
                try index.addSnapshot(id, try await loadSnapshot(ObjectHandle(kind: .snapshot, id: id)))
            } catch let error as TesseraError {
                // One unreadable snapshot must not hide the others; check reports it.
                logger.warning("skipping snapshot \(id.short): \(error)")
            }
        }
    }

    /// Packs that no index file names (left by an interrupted backup, or all of
    /// them when `index/` was lost) are read from their headers, so that their
    /// data stays restorable (invariant 6). They are recorded without an index
    /// file: new backups do not deduplicate against them.
    func indexPacksWithoutIndexFile() async throws {
        let known = Set(try index.packs().map(\.id))
        var found = [IndexFile.Pack]()
        for info in try await backend.list(.data) {
            guard let id = ID(hex: info.handle.name), !known.contains(id) else { continue }
            do {
                found.append(IndexFile.Pack(id: id, size: UInt64(info.size), blobs: try await loadPackHeader(info)))
            } catch {
                logger.warning("pack \(id.short) has an unreadable header and is left out of the index: \(error)")
            }
        }
        if !found.isEmpty { try index.addPacks(found, indexID: nil) }
    }

    public func loadIndexFile(_ id: ID) async throws -> IndexFile {
        let sealed = try await backend.load(ObjectHandle(kind: .index, id: id))
        return try Self.decoding("index file \(id.short)") {
            try IndexFile.decode(try master.sealer.open(sealed, purpose: .index))
        }
    }

    /// Writes an index file describing `packs`, then records it locally.
    @discardableResult
    public func saveIndexFile(_ packs: [IndexFile.Pack], supersedes: [ID] = []) async throws -> ID {
        let id = ID.random()
        let sealed = master.sealer.seal(IndexFile(packs: packs, supersedes: supersedes).encode(), purpose: .index)
        try await backend.save(ObjectHandle(kind: .index, id: id), data: sealed)
        try index.addPacks(packs, indexID: id)
        return id
    }

    /// Reads a pack's header (one or two range reads from its tail).
    public func loadPackHeader(_ info: ObjectInfo) async throws -> [PackedBlob] {
        let size = Int(info.size)
        guard size > PackFormat.trailerSize + Sealer.overhead else { throw FormatError.truncated }
        var want = min(size, 16 << 10)
        while true {
            let tail = try await backend.load(info.handle, range: Int64(size - want)..<Int64(size))
            guard let result = try PackFormat.header(fromTail: tail, packSize: size, sealer: master.sealer) else { throw FormatError.truncated }
            if result.needed <= want { return result.blobs }
            want = result.needed
        }
    }

    public struct RebuildReport: Sendable {
        public var packs: Int
        public var blobs: Int
        public var unreadable: [(pack: String, reason: String)]
        public var indexFileWritten: ID?
    }

    /// Rebuilds the local index from pack headers alone; with `writeRepositoryIndex`,
    /// also writes a fresh index file and removes the old ones.
    public func rebuildIndex(writeRepositoryIndex: Bool) async throws -> RebuildReport {
        let packs = try await backend.list(.data)
        var found = [IndexFile.Pack]()
        var unreadable = [(String, String)]()
        for info in packs {
            guard let id = ID(hex: info.handle.name) else { continue }
            do {
                found.append(IndexFile.Pack(id: id, size: UInt64(info.size), blobs: try await loadPackHeader(info)))
            } catch {
                unreadable.append((info.handle.name, "\(error)"))
            }
        }
        try index.removeAllPacks()
        var written: ID?
        if writeRepositoryIndex {
            let old = try await backend.list(.index).compactMap { ID(hex: $0.handle.name) }
            written = try await saveIndexFile(found, supersedes: old)
            for id in old { try await backend.delete(ObjectHandle(kind: .index, id: id)) }
        } else {
            try index.addPacks(found, indexID: nil)
        }
        return RebuildReport(packs: found.count, blobs: found.reduce(0) { $0 + $1.blobs.count }, unreadable: unreadable, indexFileWritten: written)
    }
}
