import Foundation
import Synchronization

/// Writes new blobs into packs, packs to the backend, and index files that
/// describe them — in that order (invariant 5): a crash at any moment leaves
/// at worst packs that no index names, which `check` reports and prune removes.
///
/// Compression and encryption happen in the callers' tasks, in parallel.
/// Claiming an id and appending a sealed blob are short critical sections
/// under a mutex (no actor hop per blob: with many small files those hops
/// cost more than the work); only a full pack suspends the caller, until an
/// upload slot is free, so memory stays fixed.
public final class RepositoryWriter: Sendable {
    private let repository: Repository
    private let dryRun: Bool
    /// Write an index file after this many packs, so a long backup that is
    /// interrupted still leaves most of its data indexed.
    private let packsPerIndexFile: Int
    private let maxUploads: Int
    private let buffers = PackBufferPool()
    private let uploadSlots: AsyncSemaphore
    private let state: Mutex<State>

    private struct State {
        /// The pack being filled; nil while a full one waits for an upload slot,
        /// and then writers wait in `builderWaiters` (backpressure: at most one
        /// pack filling, one waiting and `maxUploads` uploading).
        var builder: PackBuilder?
        var builderWaiters: [CheckedContinuation<Void, Never>] = []
        /// Blob ids written (or being written) and not yet in an index file.
        var pending: Set<ID> = []
        var unindexed: [IndexFile.Pack] = []
        var failure: Error?
    }

    public init(repository: Repository, dryRun: Bool = false, maxUploads: Int = 1, packsPerIndexFile: Int = 64) {
        self.repository = repository
        self.dryRun = dryRun
        self.packsPerIndexFile = packsPerIndexFile
        self.maxUploads = max(1, maxUploads)
        self.uploadSlots = AsyncSemaphore(permits: self.maxUploads)
        self.state = Mutex(State(builder: nil))
        if !dryRun { state.withLock { $0.builder = newBuilder() } }
    }

    /// Claims a blob id for writing. False when the repository (or this writer) already has it.
    public func claim(_ id: ID) throws -> Bool {
        if state.withLock({ $0.pending.contains(id) }) { return false }
        if try repository.index.contains(id, indexedOnly: true) { return false }
        return state.withLock { $0.pending.insert(id).inserted }
    }

    private enum Appended {
        case done
        case full(PackBuilder)
        case mustWait
    }

    /// Adds a sealed blob (from `repository.codec.encode`) to the current pack.
    public func add(type: BlobType, id: ID, sealed: Data, rawLength: Int) async throws {
        while true {
            let appended: Appended = try state.withLock { state in
                if let failure = state.failure { throw failure }
                if dryRun { return .done }
                guard var builder = state.builder else { return .mustWait }
                state.builder = nil  // moved out while appending, so the bytes are not copied
                builder.append(type: type, id: id, sealed: sealed, rawLength: rawLength)
                if builder.size >= repository.config.packSize { return .full(builder) }
                state.builder = builder
                return .done
            }
            switch appended {
            case .done:
                return
            case .full(let builder):
                await uploadSlots.acquire()
                openNewBuilder()
                startUpload(builder)
                return
            case .mustWait:
                await waitForBuilder()
            }
        }
    }

    /// Suspends until a pack builder is available again.
    private func waitForBuilder() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.builder != nil { return true }
                state.builderWaiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Room for a full pack, its last blob (up to the largest chunk) and its header.
    private func newBuilder() -> PackBuilder {
        PackBuilder(capacity: repository.config.packSize + repository.config.chunkerParameters.maxSize + (1 << 20), pool: buffers)
    }

    private func openNewBuilder() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.builder = newBuilder()
            defer { state.builderWaiters = [] }
            return state.builderWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Compresses, seals and stores a blob unless the repository already has it.
    /// Returns the stored size, 0 when it was a duplicate.
    @discardableResult
    public func store(type: BlobType, id: ID, plaintext: Data) async throws -> Int {
        guard try claim(id) else { return 0 }
        let sealed = repository.codec.encode(plaintext)
        try await add(type: type, id: id, sealed: sealed, rawLength: plaintext.count)
        return sealed.count
    }

    /// Seals a pack and uploads it in its own task, holding an upload slot
    /// acquired by the caller; the task then records the pack and writes an
    /// index file when enough are done. A failure is kept and reported by the
    /// next `add` or by `flush`.
    private func startUpload(_ builder: PackBuilder) {
        guard !builder.isEmpty else {
            uploadSlots.release()
            return
        }
        let finished = builder.finish(sealer: repository.master.sealer)
        let repository = self.repository
        Task {
            defer { uploadSlots.release() }
            do {
                try await repository.backend.save(ObjectHandle(kind: .data, id: finished.id), data: finished.bytes)
                let pack = IndexFile.Pack(id: finished.id, size: UInt64(finished.bytes.count), blobs: finished.blobs)
                let ready: [IndexFile.Pack]? = state.withLock { state in
                    state.unindexed.append(pack)
                    guard state.unindexed.count >= packsPerIndexFile else { return nil }
                    defer { state.unindexed = [] }
                    return state.unindexed
                }
                if let ready { try await writeIndex(ready) }
            } catch {
                state.withLock { $0.failure = $0.failure ?? error }
            }
        }
    }

    private func writeIndex(_ packs: [IndexFile.Pack]) async throws {
        guard !packs.isEmpty else { return }
        try await repository.saveIndexFile(packs)
        state.withLock { state in
            for pack in packs { for blob in pack.blobs { state.pending.remove(blob.id) } }
        }
    }

    /// Finishes the last pack, waits for every upload and writes the index.
    /// After this returns, everything added is durable and indexed.
    public func flush() async throws {
        if dryRun {
            if let failure = state.withLock({ $0.failure }) { throw failure }
            return
        }
        // Take the last pack (after any full one still waiting for its slot).
        while true {
            let last = try state.withLock { state -> PackBuilder? in
                if let failure = state.failure { throw failure }
                guard let builder = state.builder else { return nil }
                state.builder = PackBuilder(capacity: 0)
                return builder
            }
            if let last {
                await uploadSlots.acquire()
                startUpload(last)
                break
            }
            await waitForBuilder()
        }
        // Holding every upload slot means every upload has finished.
        for _ in 0..<maxUploads { await uploadSlots.acquire() }
        for _ in 0..<maxUploads { uploadSlots.release() }
        let remaining = try state.withLock { state -> [IndexFile.Pack] in
            if let failure = state.failure { throw failure }
            defer { state.unindexed = [] }
            return state.unindexed
        }
        try await writeIndex(remaining)
    }

    /// Waits for uploads already started after a failure, so none is cut off
    /// half-way by the process ending. Packs already stored stay
    /// (unreferenced until indexed), which is safe.
    public func cancel() async {
        for _ in 0..<maxUploads { await uploadSlots.acquire() }
        for _ in 0..<maxUploads { uploadSlots.release() }
    }
}
