import Foundation

/// Writes new blobs into packs, packs to the backend, and index files that
/// describe them — in that order (invariant 5): a crash at any moment leaves
/// at worst packs that no index names, which `check` reports and prune removes.
///
/// Compression and encryption happen in the callers' tasks, in parallel; this
/// actor only appends sealed bytes and hands full packs to uploads that run
/// concurrently, with a bound so memory stays fixed.
public actor RepositoryWriter {
    private let repository: Repository
    private let maxUploads: Int
    /// Write an index file after this many packs, so a long backup that is
    /// interrupted still leaves most of its data indexed.
    private let packsPerIndexFile: Int

    private var builder: PackBuilder
    private var uploads: [Task<IndexFile.Pack, Error>] = []
    private var unindexed: [IndexFile.Pack] = []
    /// Blob ids written (or being written) by this writer and not yet in the local index.
    private var pending: Set<ID> = []
    private var failure: Error?

    public private(set) var storedBytes: UInt64 = 0
    public private(set) var blobsWritten = 0
    public private(set) var packsWritten = 0

    /// Counts what would be written, writes nothing (`--dry-run`).
    private let dryRun: Bool

    public init(repository: Repository, dryRun: Bool = false, maxUploads: Int = 1, packsPerIndexFile: Int = 64) {
        self.repository = repository
        self.dryRun = dryRun
        self.maxUploads = max(1, maxUploads)
        self.packsPerIndexFile = packsPerIndexFile
        self.builder = PackBuilder(capacity: repository.config.packSize + (1 << 20))
    }

    /// Claims a blob id for writing. False when the repository (or this writer) already has it.
    public func claim(_ id: ID) throws -> Bool {
        if pending.contains(id) { return false }
        if try repository.index.contains(id, indexedOnly: true) { return false }
        pending.insert(id)
        return true
    }

    /// Adds a sealed blob (from `repository.codec.encode`) to the current pack.
    public func add(type: BlobType, id: ID, sealed: Data, rawLength: Int) async throws {
        if let failure { throw failure }
        storedBytes += UInt64(sealed.count)
        blobsWritten += 1
        if dryRun { return }
        builder.append(type: type, id: id, sealed: sealed, rawLength: rawLength)
        if builder.size >= repository.config.packSize {
            try await sealCurrentPack()
        }
    }

    /// Compresses, seals and stores a blob unless the repository already has it.
    /// Returns the stored size, 0 when it was a duplicate.
    @discardableResult
    public nonisolated func store(type: BlobType, id: ID, plaintext: Data) async throws -> Int {
        guard try await claim(id) else { return 0 }
        let sealed = repository.codec.encode(plaintext)
        try await add(type: type, id: id, sealed: sealed, rawLength: plaintext.count)
        return sealed.count
    }

    private func sealCurrentPack() async throws {
        guard !builder.isEmpty else { return }
        let full = builder
        builder = PackBuilder(capacity: repository.config.packSize + (1 << 20))
        let finished = full.finish(sealer: repository.master.sealer)
        let backend = repository.backend
        uploads.append(Task {
            try await backend.save(ObjectHandle(kind: .data, id: finished.id), data: finished.bytes)
            return IndexFile.Pack(id: finished.id, size: UInt64(finished.bytes.count), blobs: finished.blobs)
        })
        while uploads.count > maxUploads {
            try await collect(uploads.removeFirst())
        }
    }

    private func collect(_ upload: Task<IndexFile.Pack, Error>) async throws {
        do {
            let pack = try await upload.value
            unindexed.append(pack)
            packsWritten += 1
            if unindexed.count >= packsPerIndexFile { try await writeIndex() }
        } catch {
            failure = failure ?? error
            throw error
        }
    }

    private func writeIndex() async throws {
        guard !unindexed.isEmpty else { return }
        let packs = unindexed
        unindexed = []
        try await repository.saveIndexFile(packs)
        for pack in packs { for blob in pack.blobs { pending.remove(blob.id) } }
    }

    /// Finishes the last pack, waits for every upload and writes the index.
    /// After this returns, everything added is durable and indexed.
    public func flush() async throws {
        if let failure { throw failure }
        try await sealCurrentPack()
        while !uploads.isEmpty {
            try await collect(uploads.removeFirst())
        }
        try await writeIndex()
    }

    /// Stops uploads after a failure or interruption. Packs already stored stay
    /// (unreferenced until indexed), which is safe.
    public func cancel() {
        for upload in uploads { upload.cancel() }
        uploads = []
    }
}
