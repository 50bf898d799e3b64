import Synchronization

/// The batch's files, opened for writing when first needed and kept open in a
/// small LRU: a batch may hold tens of thousands of files, and descriptors run out.
final class OpenTargets: Sendable {
    private let files: [PendingFile]
    /// Writers still holding an evicted file keep it open until they are done.
    private let open: Mutex<LRUCache<Int, OpenFile>>

    init(_ files: [PendingFile], capacity: Int = 64) {
        self.files = files
        self.open = Mutex(LRUCache(capacity: capacity))
    }

    func file(_ index: Int) throws -> OpenFile {
        if let cached = open.withLock({ $0.value(for: index) }) { return cached }
        let pending = files[index]
        let opened = try pending.directory.openFileForWriting(pending.node.name)
        open.withLock { _ = $0.insert(opened, for: index, cost: 1) }
        return opened
    }

    func close(_ index: Int) {
        open.withLock { $0.remove(index) }
    }
}
