import Foundation
import Synchronization
import TesseraCore

/// Decoded blobs for the mount, from the cheapest place that has them: a
/// bounded memory cache, a load already in flight, the sealed-blob cache on
/// disk, and last the backend (a range load of just the blob's bytes).
///
/// Loads of the same blob are shared, so read-ahead and the kernel's own
/// parallel reads never fetch a chunk twice.
final class BlobStore: Sendable {
    private let repository: Repository
    private let memory: Mutex<LRUCache<ID, Data>>
    private let inFlight = Mutex<[ID: Flight]>([:])

    /// A load on its way: of one blob, or of a run of neighbours in a pack
    /// (read-ahead), which a read of any of them waits for instead of loading again.
    private enum Flight {
        case blob(Task<Data, Error>)
        case run(Task<[ID: Data], Never>)
    }
    private let disk: SealedBlobDiskCache?
    /// Backend loads at once: enough to hide latency, few enough to bound memory.
    private let backendLoads: AsyncSemaphore
    private let counters = Mutex(MountStatistics())

    init(repository: Repository, memoryCapacity: Int, disk: SealedBlobDiskCache?, parallelLoads: Int) {
        self.repository = repository
        self.memory = Mutex(LRUCache(capacity: memoryCapacity))
        self.disk = disk
        self.backendLoads = AsyncSemaphore(permits: parallelLoads)
    }

    var statistics: MountStatistics { counters.withLock { $0 } }

    /// The decoded blob if it is in memory, without waiting for anything.
    func cachedData(_ id: ID) -> Data? { memory.withLock { $0.value(for: id) } }

    func data(_ id: ID) async throws -> Data {
        if let hit = cachedData(id) { return hit }
        switch flight(id) {
        case .blob(let task):
            return try await task.value
        case .run(let task):
            // A blob the run could not decode is loaded on its own (another copy, a log line).
            if let data = await task.value[id] { return data }
            return try await load(id)
        }
    }

    private func flight(_ id: ID) -> Flight {
        inFlight.withLock { flights in
            if let running = flights[id] { return running }
            let task = Task {
                defer { _ = self.inFlight.withLock { $0.removeValue(forKey: id) } }
                let data = try await self.load(id)
                self.memory.withLock { _ = $0.insert(data, for: id, cost: data.count) }
                return data
            }
            flights[id] = .blob(task)
            return .blob(task)
        }
    }

    /// The decoded blobs of `chunks`, for read-ahead: those the disk cache
    /// holds from there, the rest read by pack (neighbouring blobs in one
    /// range load) and decoded, packs in parallel. A blob that cannot be had
    /// is left out: the reader's own request then fails with EIO and a log line.
    func decoded(_ chunks: [(id: ID, length: UInt32)]) async -> [ID: Data] {
        var found = [ID: Data]()
        var missing = [(id: ID, length: UInt32)]()
        for chunk in chunks {
            if disk?.contains(chunk.id) == true {
                found[chunk.id] = try? await data(chunk.id)
            } else {
                missing.append(chunk)
            }
        }
        guard !missing.isEmpty, let plan = plan(missing) else { return found }
        return await withTaskGroup(of: [ID: Data].self) { group in
            for read in plan.reads { group.addTask { await self.decodedRun(read) } }
            for await some in group { found.merge(some) { first, _ in first } }
            return found
        }
    }

    /// Plans reads for `chunks` grouped by pack (neighbouring blobs in one
    /// range request); chunks no pack holds are left out.
    private func plan(_ chunks: [(id: ID, length: UInt32)]) -> ContentPlan? {
        try? ContentPlan(files: chunks.map { [.chunk($0.id, length: $0.length)] }, index: repository.index, mergeGap: 256 << 10)
    }

    /// The blobs of one planned read, decoded: one range load for all of
    /// them. A blob that cannot be decoded is left out (the reader's own
    /// request then fails with EIO and a log line).
    private func decodedRun(_ read: ContentPlan.PackRead) async -> [ID: Data] {
        // Blobs already in memory or on their way are not decoded twice.
        let ids = read.blobs.map(\.location.blob.id)
        let cached = memory.withLock { cache in Set(ids.filter { cache.contains($0) }) }
        let (run, registered, elsewhere) = inFlight.withLock { flights -> (Task<[ID: Data], Never>, [ID], [ID]) in
            let elsewhere = ids.filter { flights[$0] != nil || cached.contains($0) }
            let skipped = Set(elsewhere)
            let run = Task { await loadRun(read, skipping: skipped) }
            let registered = ids.filter { !skipped.contains($0) }
            for id in registered { flights[id] = .run(run) }
            return (run, registered, elsewhere)
        }
        var decoded = await run.value
        for id in elsewhere { decoded[id] = try? await data(id) }
        // Kept in memory too: the kernel may ask for a page next to the stored ones.
        memory.withLock { cache in
            for (id, data) in decoded { _ = cache.insert(data, for: id, cost: data.count) }
        }
        inFlight.withLock { flights in
            for id in registered { flights.removeValue(forKey: id) }
        }
        return decoded
    }

    private func loadRun(_ read: ContentPlan.PackRead, skipping skipped: Set<ID>) async -> [ID: Data] {
        guard let sealed = try? await backendLoads.withPermit({ try await repository.loadPackRange(read.pack, read.range) }) else {
            return [:]
        }
        counters.withLock {
            $0.blobsLoaded += read.blobs.count - skipped.count
            $0.bytesLoaded += Int64(sealed.count)
        }
        var decoded = [ID: Data]()
        for blob in read.blobs where !skipped.contains(blob.location.blob.id) {
            guard let bytes = try? read.sealedBytes(of: blob, in: sealed),
                  let data = try? repository.decodeBlob(bytes, at: blob.location) else { continue }
            decoded[blob.location.blob.id] = data
            disk?.store(blob.location.blob.id, sealed: bytes)
        }
        return decoded
    }

    private func load(_ id: ID) async throws -> Data {
        let locations = try repository.index.locations(of: id)
        guard !locations.isEmpty else { throw TesseraError.blobMissing(id) }
        if let sealed = disk?.load(id) {
            for location in locations {
                if let data = try? repository.decodeBlob(sealed, at: location) {
                    counters.withLock { $0.diskCacheHits += 1 }
                    return data
                }
            }
            disk?.remove(id)  // damaged on local disk: fetch it again
        }
        var lastError: Error?
        // When several packs hold the blob, a damaged copy does not make it unreadable.
        for location in locations {
            do {
                let sealed = try await backendLoads.withPermit { try await repository.loadSealedBlob(at: location) }
                counters.withLock {
                    $0.blobsLoaded += 1
                    $0.bytesLoaded += Int64(sealed.count)
                }
                let data = try repository.decodeBlob(sealed, at: location)
                disk?.store(id, sealed: sealed)
                return data
            } catch {
                lastError = error
            }
        }
        throw lastError ?? TesseraError.blobMissing(id)
    }
}
