import Synchronization

/// The batch's files, opened for writing when first needed and kept open in a
/// small LRU: a batch may hold tens of thousands of files, and descriptors run out.
final class OpenTargets: Sendable {
    private let files: [PendingFile]
    private let capacity: Int
    private struct State {
        var open: [Int: (file: OpenFile, used: UInt64)] = [:]
        var clock: UInt64 = 0
    }
    private let state = Mutex(State())

    init(_ files: [PendingFile], capacity: Int = 64) {
        self.files = files
        self.capacity = capacity
    }

    func file(_ index: Int) throws -> OpenFile {
        let cached = state.withLock { state -> OpenFile? in
            state.clock += 1
            guard let entry = state.open[index] else { return nil }
            state.open[index] = (entry.file, state.clock)
            return entry.file
        }
        if let cached { return cached }
        let pending = files[index]
        let opened = try pending.directory.openFileForWriting(pending.node.name)
        state.withLock { state in
            state.open[index] = (opened, state.clock)
            if state.open.count > capacity, let oldest = state.open.min(by: { $0.value.used < $1.value.used })?.key {
                // Writers still holding it keep it open until they are done.
                state.open.removeValue(forKey: oldest)
            }
        }
        return opened
    }

    func close(_ index: Int) {
        _ = state.withLock { $0.open.removeValue(forKey: index) }
    }
}
