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
    private let inFlight = Mutex<[ID: Task<Data, Error>]>([:])
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

    /// Whether `id` is decoded in memory right now (tests and read-ahead use it).
    func isCached(_ id: ID) -> Bool { memory.withLock { $0.contains(id) } }

    /// The decoded blob if it is in memory, without waiting for anything.
    func cachedData(_ id: ID) -> Data? { memory.withLock { $0.value(for: id) } }

    func data(_ id: ID) async throws -> Data {
        if let hit = memory.withLock({ $0.value(for: id) }) { return hit }
        return try await flight(id).value
    }

    /// Starts loading `id` into the memory cache unless it is there or on its way.
    func prefetch(_ id: ID) {
        guard !isCached(id) else { return }
        _ = flight(id)
    }

    private func flight(_ id: ID) -> Task<Data, Error> {
        inFlight.withLock { flights in
            if let running = flights[id] { return running }
            let task = Task {
                defer { _ = self.inFlight.withLock { $0.removeValue(forKey: id) } }
                let data = try await self.load(id)
                self.memory.withLock { _ = $0.insert(data, for: id, cost: data.count) }
                return data
            }
            flights[id] = task
            return task
        }
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
                await backendLoads.acquire()
                let sealed: Data
                do {
                    sealed = try await repository.loadSealedBlob(at: location)
                    backendLoads.release()
                } catch {
                    backendLoads.release()
                    throw error
                }
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
