import Foundation

/// What `snapshot create` was asked to do.
public struct BackupOptions: Sendable {
    /// Absolute, normalized source paths (bytes: names need not be UTF-8).
    public var paths: [[UInt8]]
    public var excludePatterns: [String] = []
    /// Names whose presence in a directory excludes that directory (`--exclude-if-present`).
    public var excludeIfPresent: [String] = []
    /// Exclude directories holding a valid CACHEDIR.TAG (`--exclude-caches`).
    public var excludeCaches = false
    public var oneFileSystem = false
    public var tags: [String] = []
    public var host = SystemIdentity.hostName
    public var time: Date?
    public var parent: ID?
    public var dryRun = false
    /// Files read at once; chunks compressed and sealed at once.
    /// Files in flight at once: many, because a small file is mostly waiting
    /// (on the disk, on a thread handoff) rather than computing.
    public var fileConcurrency = 8
    /// Of those, files over `largeFileSize`: each holds a chunker buffer of up
    /// to 2 × the maximum chunk size, so they are fewer.
    public var largeFileConcurrency = max(2, ProcessInfo.processInfo.activeProcessorCount)
    public static let largeFileSize: UInt64 = 1 << 20
    /// Subfolders walked at the same time as their parent.
    public var folderConcurrency = 2 * ProcessInfo.processInfo.activeProcessorCount
    /// One chunk per core being compressed, one more waiting.
    public var chunkConcurrency = ProcessInfo.processInfo.activeProcessorCount + 1
    /// Packs uploaded at once: one suits a local disk; a remote backend
    /// needs several requests in flight to fill the network (`--connections`).
    public var maxUploads = 1

    public init(paths: [[UInt8]]) { self.paths = paths }

    /// Makes a user-given path absolute and lexically clean (no `.`, `..`, or repeated or trailing `/`).
    public static func normalize(_ path: String, currentDirectory: String = FileManager.default.currentDirectoryPath) -> [UInt8] {
        normalize(bytes: Array(path.utf8), currentDirectory: currentDirectory)
    }

    /// The same for a path given as raw bytes (names need not be UTF-8).
    public static func normalize(bytes path: [UInt8], currentDirectory: String = FileManager.default.currentDirectoryPath) -> [UInt8] {
        var bytes = path
        if bytes.first != PathBytes.slash { bytes = Array(currentDirectory.utf8) + [PathBytes.slash] + bytes }
        var parts = [[UInt8]]()
        for component in PathBytes.components(bytes) {
            if component == [UInt8(ascii: ".")] { continue }
            if component == [UInt8(ascii: "."), UInt8(ascii: ".")] {
                _ = parts.popLast()
                continue
            }
            parts.append(component)
        }
        return [PathBytes.slash] + Array(parts.joined(separator: [PathBytes.slash]))
    }
}

/// What a finished backup produced.
public struct BackupResult: Sendable {
    public var snapshotID: ID?
    public var snapshot: Snapshot
    public var counters: BackupStatistics.Counters
    public var duration: TimeInterval
}
