import Glibc

/// The parts of `struct stat` that backup and restore use.
public struct FileStatus: Sendable, Hashable {
    /// nil for a type Tessera does not know.
    public var type: NodeType?
    /// Permission bits including setuid, setgid and sticky (`st_mode & 0o7777`).
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: UInt64
    public var device: UInt64
    public var inode: UInt64
    public var links: UInt64
    public var rdev: UInt64
    /// `st_blocks`: allocated space in 512-byte units.
    public var blocks: UInt64
    public var atime: FileTime
    public var mtime: FileTime
    public var ctime: FileTime

    init(_ raw: stat) {
        type = FileStatus.type(ofMode: raw.st_mode)
        mode = UInt32(raw.st_mode) & 0o7777
        uid = UInt32(raw.st_uid)
        gid = UInt32(raw.st_gid)
        // The widths and signedness of these fields differ between
        // architectures; sizes and counts are never negative.
        size = UInt64(clamping: raw.st_size)
        device = UInt64(truncatingIfNeeded: raw.st_dev)
        inode = UInt64(truncatingIfNeeded: raw.st_ino)
        links = UInt64(truncatingIfNeeded: raw.st_nlink)
        rdev = UInt64(truncatingIfNeeded: raw.st_rdev)
        blocks = UInt64(clamping: raw.st_blocks)
        atime = FileTime(raw.st_atim)
        mtime = FileTime(raw.st_mtim)
        ctime = FileTime(raw.st_ctim)
    }

    static func type(ofMode mode: mode_t) -> NodeType? {
        switch mode & S_IFMT {
        case S_IFREG: .file
        case S_IFDIR: .directory
        case S_IFLNK: .symlink
        case S_IFIFO: .fifo
        case S_IFCHR: .characterDevice
        case S_IFBLK: .blockDevice
        case S_IFSOCK: .socket
        default: nil
        }
    }

    /// The `S_IF*` bits for creating a node of `type` with `mknodat`.
    static func modeBits(of type: NodeType) -> mode_t {
        switch type {
        case .file: S_IFREG
        case .directory: S_IFDIR
        case .symlink: S_IFLNK
        case .fifo: S_IFIFO
        case .characterDevice: S_IFCHR
        case .blockDevice: S_IFBLK
        case .socket: S_IFSOCK
        }
    }
}

extension NodeType {
    /// The `S_IF*` bits of `st_mode` for this type (the mount reports them).
    public var fileTypeBits: UInt32 { UInt32(FileStatus.modeBits(of: self)) }
}
