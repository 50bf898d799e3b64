import CFuse
import Foundation
import TesseraCore

/// `stat` records for the kernel: a snapshot's entries as they were backed
/// up; the made-up folders read-only, owned by whoever mounted.
struct AttributeBuilder: Sendable {
    let owner: (uid: UInt32, gid: UInt32)

    /// `listingsChanged` is the made-up folders' time: when the snapshot list last changed.
    func attributes(of item: MountedItem, number: UInt64, listingsChanged: @autoclosure () -> Date) -> stat {
        var info = stat()
        info.st_ino = UInt(number)
        info.st_blksize = 128 << 10  // the kernel's read size through FUSE; a hint to cp and friends
        switch item {
        case .virtualFolder:
            fill(&info, mode: S_IFDIR | 0o555, time: listingsChanged())
        case .virtualLink(let target, let time):
            fill(&info, mode: S_IFLNK | 0o777, time: time)
            info.st_size = target.count
        case .snapshotRoot(_, let snapshot):
            fill(&info, mode: S_IFDIR | 0o555, time: snapshot.time)
        case .node(let node, _):
            info.st_mode = mode_t(node.type.fileTypeBits | (node.mode & 0o7777))
            info.st_nlink = node.type == .directory ? 1 : UInt(max(node.links, 1))
            info.st_uid = node.uid
            info.st_gid = node.gid
            info.st_atim = stamp(node.atime)
            info.st_mtim = stamp(node.mtime)
            info.st_ctim = stamp(node.ctime)
            info.st_rdev = UInt(node.rdev)
            switch node.type {
            case .file:
                info.st_size = Int(clamping: node.size)
                // Holes take no blocks, so `du` and `cp --sparse=auto` see a sparse file as one.
                let stored = node.content.reduce(UInt64(0)) { total, piece in
                    if case .chunk(_, let length) = piece { total + UInt64(length) } else { total }
                }
                info.st_blocks = Int(clamping: (stored + 511) / 512)
            case .symlink:
                info.st_size = node.linkTarget.count
            default:
                info.st_size = 0
            }
        }
        return info
    }

    private func fill(_ info: inout stat, mode: mode_t, time: Date) {
        info.st_mode = mode
        info.st_nlink = mode & S_IFMT == S_IFDIR ? 2 : 1
        info.st_uid = owner.uid
        info.st_gid = owner.gid
        let seconds = time.timeIntervalSince1970.rounded(.down)
        let stamp = timespec(tv_sec: Int(seconds), tv_nsec: Int((time.timeIntervalSince1970 - seconds) * 1e9))
        info.st_atim = stamp
        info.st_mtim = stamp
        info.st_ctim = stamp
    }

    private func stamp(_ time: FileTime) -> timespec {
        timespec(tv_sec: Int(time.seconds), tv_nsec: Int(time.nanoseconds))
    }
}
