import Foundation

/// How a mount behaves; the CLI fills it from its flags.
public struct MountOptions: Sendable {
    /// Let other users see the mount (FUSE's `allow_other`; needs
    /// `user_allow_other` in /etc/fuse.conf unless root).
    public var allowOther = false
    /// Decoded chunks kept in memory, in bytes.
    public var memoryCacheBytes = 32 << 20
    /// Sealed blobs kept on local disk, in bytes; 0 turns the disk cache off.
    public var diskCacheBytes = 0
    /// Where the disk cache lives (one folder per repository).
    public var diskCacheFolder: String?
    /// How far read-ahead gets ahead of a reader going through a file or a
    /// folder (stored in the kernel's page cache), in bytes; 0 turns it off.
    public var readAheadBytes = 16 << 20
    /// Blob loads from the backend at once.
    public var parallelLoads = 8
    /// How old the snapshot list may get before a look at the virtual folders refreshes it.
    public var refreshInterval: TimeInterval = 2

    public init() {}
}
