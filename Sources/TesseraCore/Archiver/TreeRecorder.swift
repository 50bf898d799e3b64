import Foundation
import Synchronization

/// Records the trees a backup writes in the local index, in batches, so the
/// next backup (and `ls`, `restore`) finds its parent's trees without
/// reading and decrypting them from packs.
final class TreeRecorder: Sendable {
    private let index: LocalIndex
    private let batch = Mutex<(trees: [(id: ID, plaintext: Data)], bytes: Int)>(([], 0))
    private static let batchBytes = 4 << 20
    private static let batchTrees = 1024

    init(index: LocalIndex) { self.index = index }

    func record(_ id: ID, plaintext: Data) throws {
        let full = batch.withLock { batch -> [(id: ID, plaintext: Data)]? in
            batch.trees.append((id, plaintext))
            batch.bytes += plaintext.count
            guard batch.trees.count >= Self.batchTrees || batch.bytes >= Self.batchBytes else { return nil }
            defer { batch = ([], 0) }
            return batch.trees
        }
        if let full { try index.addTrees(full) }
    }

    func flush() throws {
        let rest = batch.withLock { batch -> [(id: ID, plaintext: Data)] in
            defer { batch = ([], 0) }
            return batch.trees
        }
        try index.addTrees(rest)
    }
}
