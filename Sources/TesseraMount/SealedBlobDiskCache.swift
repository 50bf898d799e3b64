import Foundation
import Synchronization
import TesseraCore

/// A bounded cache of sealed blobs on local disk, for remote repositories:
/// reading a file twice, or after a remount, costs no second download.
///
/// Blobs are stored as the pack holds them (encrypted and authenticated), so
/// the cache reveals nothing and a damaged entry fails verification like a
/// damaged pack would; it is then dropped. Recency is kept in memory (one small
/// record per cached blob, bounded by the budget) and seeded from file times
/// at start, so the least recently used blobs leave first.
public final class SealedBlobDiskCache: Sendable {
    private let folder: String
    private let entries: Mutex<LRUCache<ID, Void>>

    /// `folder` is created if needed; `capacity` is in bytes.
    public init(folder: String, capacity: Int) throws {
        self.folder = folder
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var cache = LRUCache<ID, Void>(capacity: capacity)
        // Oldest first, so that the newest end up most recently used.
        for file in Self.existingFiles(in: folder).sorted(by: { $0.modified < $1.modified }) {
            cache.insert((), for: file.id, cost: file.size)
        }
        Self.removeFiles(in: folder, notIn: cache)
        entries = Mutex(cache)
    }

    private struct ExistingFile {
        var id: ID
        var size: Int
        var modified: Date
    }

    private static func existingFiles(in folder: String) -> [ExistingFile] {
        let manager = FileManager.default
        var found = [ExistingFile]()
        for prefix in (try? manager.contentsOfDirectory(atPath: folder)) ?? [] {
            let subfolder = folder + "/" + prefix
            for name in (try? manager.contentsOfDirectory(atPath: subfolder)) ?? [] {
                guard let id = ID(hex: name),
                      let attributes = try? manager.attributesOfItem(atPath: subfolder + "/" + name),
                      let size = attributes[.size] as? Int, let modified = attributes[.modificationDate] as? Date
                else { continue }
                found.append(ExistingFile(id: id, size: size, modified: modified))
            }
        }
        return found
    }

    /// Files over the budget (or stray temporaries' neighbours) go at start.
    private static func removeFiles(in folder: String, notIn cache: LRUCache<ID, Void>) {
        for file in existingFiles(in: folder) where !cache.contains(file.id) { unlink(path(file.id, in: folder)) }
    }

    private static func path(_ id: ID, in folder: String) -> String { "\(folder)/\(id.hex.prefix(2))/\(id.hex)" }

    private func path(_ id: ID) -> String { Self.path(id, in: folder) }

    /// Whether the blob is cached, without counting as a use.
    public func contains(_ id: ID) -> Bool { entries.withLock { $0.contains(id) } }

    public func load(_ id: ID) -> Data? {
        guard entries.withLock({ $0.value(for: id) != nil }) else { return nil }
        guard let data = FileManager.default.contents(atPath: path(id)) else {
            remove(id)
            return nil
        }
        return data
    }

    /// Stores a blob; a failure to write (a full disk) only means no caching.
    public func store(_ id: ID, sealed: Data) {
        let target = path(id)
        let temporary = target + ".tmp-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: temporary, contents: sealed), rename(temporary, target) == 0 else {
            unlink(temporary)
            return
        }
        let (evicted, kept) = entries.withLock { cache in (cache.insert((), for: id, cost: sealed.count), cache.contains(id)) }
        for victim in evicted { unlink(path(victim)) }
        if !kept { unlink(target) }
    }

    public func remove(_ id: ID) {
        entries.withLock { $0.remove(id) }
        unlink(path(id))
    }
}
