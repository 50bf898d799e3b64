import Foundation
import Synchronization

/// Counters of a running backup, updated by the pipeline's tasks and read by
/// the progress display a few times a second.
public final class BackupStatistics: Sendable {
    public struct Counters: Sendable, Codable {
        public var filesNew = 0
        public var filesChanged = 0
        public var filesUnchanged = 0
        public var directories = 0
        public var otherEntries = 0
        public var unreadable = 0
        /// Files and bytes finished (read, or skipped as unchanged).
        public var filesDone = 0
        public var bytesDone: UInt64 = 0
        public var bytesRead: UInt64 = 0
        /// Plaintext bytes of new blobs, and what they take once compressed and sealed.
        public var bytesAdded: UInt64 = 0
        public var bytesStored: UInt64 = 0
        public var blobsAdded = 0
        /// Totals from the scanner, when it has finished (for the ETA).
        public var totalFiles: Int?
        public var totalBytes: UInt64?
        public var currentPath = ""
    }

    private let state = Mutex(Counters())

    public init() {}

    public var snapshot: Counters { state.withLock { $0 } }

    public func update(_ body: (inout Counters) -> Void) {
        state.withLock { body(&$0) }
    }
}

/// What a backup tells its caller while it runs.
public protocol BackupObserver: Sendable {
    /// A file or directory that could not be read (it is left out of the snapshot).
    func unreadable(path: String, reason: String)
}
