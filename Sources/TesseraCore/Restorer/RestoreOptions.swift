import Foundation

/// What to do with an entry that already exists in the target.
public enum OverwritePolicy: String, Sendable, CaseIterable {
    /// Replace it (a directory is merged, not replaced).
    case always
    /// Keep a file whose size and modification time match the snapshot's; replace others.
    case ifChanged = "if-changed"
    /// Keep whatever exists.
    case never
}

public struct RestoreOptions: Sendable {
    /// The folder to restore into (created when missing).
    public var target: String
    /// What part of the snapshot to restore: "/" for all of it (recreated under its
    /// absolute paths), or an absolute path whose contents go directly into `target`.
    public var subpath: [UInt8] = [PathBytes.slash]
    public var includes: [String] = []
    public var excludes: [String] = []
    public var dryRun = false
    public var verify = false
    public var overwrite = OverwritePolicy.always
    /// Restore owners (only root may).
    public var restoreOwners = getuid() == 0
    /// Folders whose entries are created at once.
    public var folderConcurrency = 2 * ProcessInfo.processInfo.activeProcessorCount
    /// Runs of pack data read (and decoded) at once.
    public var loadConcurrency = ProcessInfo.processInfo.activeProcessorCount + 2
    /// Files whose content is planned and read together: each pack is read
    /// once per batch, so larger batches mean fewer requests.
    public var maxBatchFiles = 50_000

    public init(target: String) { self.target = target }
}

/// What happens to each path, reported as the restore goes.
public enum RestoreAction: String, Sendable {
    case restore, skip, replace
}

public protocol RestoreObserver: Sendable {
    /// An entry the restore writes or would write (`--dry-run`), or skips.
    func entry(path: String, type: NodeType, size: UInt64, action: RestoreAction)
    /// A file that could not be restored exactly, and why. The restore goes on with the others.
    func problem(path: String, reason: String)
}

public struct RestoreReport: Sendable {
    public var files = 0
    public var directories = 0
    public var otherEntries = 0
    public var skipped = 0
    public var bytesWritten: UInt64 = 0
    public var verifiedFiles = 0
    /// Files that could not be restored exactly (damaged data, write errors, failed verification).
    public var problems: [(path: String, reason: String)] = []
}
