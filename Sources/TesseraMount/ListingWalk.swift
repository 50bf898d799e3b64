import Synchronization

/// Tells a walk that only lists folders (`find`, `ls -R`, `tree`) from one
/// that uses the files it lists (a copy, `ls -l`, a file manager).
///
/// readdirplus hands the kernel every entry's attributes, and the kernel
/// makes an inode for each. When files are used next, that saves a lookup
/// per file and lets read-ahead store pages for them. A walk that never
/// touches a file pays for inodes nobody asks for: about a fifth of a cold
/// `find` over a large snapshot. So after `quietListings` listings in a row
/// with no file used, listings leave the files' attributes out (folders keep
/// theirs, so the walk needs no lookups), and the first file used turns them
/// back on. The kernel's own adaptive readdirplus cannot tell the two apart:
/// it always sends a listing's first batch with attributes.
final class ListingWalk: Sendable {
    /// Long enough that a copy's path down to its first files never turns
    /// entries off: a folder listed without them would miss read-ahead.
    static let quietListings = 16

    private let listingsWithoutFileUse = Atomic<Int>(0)
    private let filesListedBare = Atomic<Int>(0)

    /// Files listed without an inode so far.
    var filesListedWithoutInode: Int { filesListedBare.load(ordering: .relaxed) }

    /// Whether listings give the kernel entries (inodes) for files.
    var filesGetEntries: Bool { listingsWithoutFileUse.load(ordering: .relaxed) < Self.quietListings }

    /// A folder's listing began.
    func folderListed() { listingsWithoutFileUse.add(1, ordering: .relaxed) }

    /// A listing left out `count` files' entries.
    func listedWithoutInode(_ count: Int) {
        if count > 0 { filesListedBare.add(count, ordering: .relaxed) }
    }

    /// An entry was used beyond its listing: a file looked up or read, a
    /// link read, extended attributes asked for.
    func fileUsed() {
        // A load first: this runs on every read, and most find nothing to reset.
        if listingsWithoutFileUse.load(ordering: .relaxed) != 0 { listingsWithoutFileUse.store(0, ordering: .relaxed) }
    }
}
