/// What a mount fetched, reported when it ends (`--json`, `-v`).
public struct MountStatistics: Sendable {
    /// Blobs read from the backend (each one range request).
    public var blobsLoaded = 0
    /// Their stored (sealed) bytes.
    public var bytesLoaded: Int64 = 0
    /// Blobs found in the disk cache instead.
    public var diskCacheHits = 0
    /// File bytes stored in the kernel's page cache ahead of readers.
    public var bytesReadAhead: Int64 = 0
    /// Files listed with no kernel inode, during walks that used no files (see ListingWalk).
    public var filesListedWithoutInode = 0

    public init() {}
}
