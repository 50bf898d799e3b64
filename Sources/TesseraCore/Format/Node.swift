/// The kind of a directory entry.
public enum NodeType: UInt8, Sendable, Codable, CaseIterable {
    case file = 1
    case directory = 2
    case symlink = 3
    case fifo = 4
    case characterDevice = 5
    case blockDevice = 6
    case socket = 7

    public var name: String {
        switch self {
        case .file: "file"
        case .directory: "dir"
        case .symlink: "symlink"
        case .fifo: "fifo"
        case .characterDevice: "chardev"
        case .blockDevice: "blockdev"
        case .socket: "socket"
        }
    }
}

/// One extended attribute. Names and values are raw bytes: values are often binary.
public struct ExtendedAttribute: Hashable, Sendable {
    public var name: [UInt8]
    public var value: [UInt8]

    public init(name: [UInt8], value: [UInt8]) {
        self.name = name
        self.value = value
    }
}

/// One piece of a file's content, in order: a stored chunk, or a hole that a
/// sparse file leaves unallocated (restored as a hole, never stored as data).
public enum ContentPiece: Hashable, Sendable {
    case chunk(ID, length: UInt32)
    case hole(length: UInt64)

    public var length: UInt64 {
        switch self {
        case .chunk(_, let length): UInt64(length)
        case .hole(let length): length
        }
    }
}

/// One entry of a directory listing: everything needed to restore it exactly.
///
/// Names and link targets are raw bytes: Linux file names need not be UTF-8.
public struct Node: Hashable, Sendable {
    public var name: [UInt8]
    public var type: NodeType
    /// Permission bits including setuid, setgid and sticky (`st_mode & 0o7777`).
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    /// Owner names at backup time ("" when unknown), so restore can map by name.
    public var user: String
    public var group: String
    public var mtime: FileTime
    public var ctime: FileTime
    public var atime: FileTime
    /// The logical size in bytes (for a file; 0 otherwise).
    public var size: UInt64
    /// For a symlink, the target as stored by the kernel.
    public var linkTarget: [UInt8]
    public var xattrs: [ExtendedAttribute]
    /// Hardlink identity: entries with equal (device, inode) and `links > 1`
    /// are one file. Also used to recognise unchanged files.
    public var device: UInt64
    public var inode: UInt64
    public var links: UInt64
    /// For character and block devices, the device number (`st_rdev`).
    public var rdev: UInt64
    /// For a file, its content in order.
    public var content: [ContentPiece]
    /// For a directory, the id of its tree blob.
    public var subtree: ID?

    public init(
        name: [UInt8], type: NodeType, mode: UInt32 = 0, uid: UInt32 = 0, gid: UInt32 = 0,
        user: String = "", group: String = "",
        mtime: FileTime = .zero, ctime: FileTime = .zero, atime: FileTime = .zero,
        size: UInt64 = 0, linkTarget: [UInt8] = [], xattrs: [ExtendedAttribute] = [],
        device: UInt64 = 0, inode: UInt64 = 0, links: UInt64 = 1, rdev: UInt64 = 0,
        content: [ContentPiece] = [], subtree: ID? = nil
    ) {
        self.name = name
        self.type = type
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.user = user
        self.group = group
        self.mtime = mtime
        self.ctime = ctime
        self.atime = atime
        self.size = size
        self.linkTarget = linkTarget
        self.xattrs = xattrs
        self.device = device
        self.inode = inode
        self.links = links
        self.rdev = rdev
        self.content = content
        self.subtree = subtree
    }

    /// The name for display: UTF-8 where valid, otherwise with invalid bytes
    /// escaped as `\xNN` so that distinct names stay distinct.
    public var displayName: String { PathBytes.display(name) }

    /// A name a restore may create: not empty, not `.` or `..`, no `/` and no NUL.
    public var hasSafeName: Bool { PathBytes.isSafeComponent(name) }
}
