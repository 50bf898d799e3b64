import Synchronization
import TesseraCore

/// The inodes the kernel currently knows, with their lookup counts.
///
/// An entry lives from the first lookup until the kernel forgets it, so the
/// table is as large as the kernel's inode cache, not the repository. Numbers
/// are derived from what an entry is (its parent and name or position, or a
/// hardlink's identity), so a forgotten inode comes back with the same
/// number, and hardlinked files share one.
///
/// Inside a snapshot a folder's entries are numbered in listing order: `cp`
/// copies a folder's entries sorted by inode number (gnulib's savedir), so
/// it then copies in the order the backup stored the data, reading forward
/// through the packs, and read-ahead across files guesses the next file right.
final class InodeTable: Sendable {
    static let rootNumber: UInt64 = 1

    struct Entry: Sendable {
        var item: MountedItem
        /// The parent's number and this entry's name, to name a file in log lines.
        var parent: UInt64
        var name: [UInt8]
        var identity: Identity
        var lookups: UInt64
    }

    /// What makes two lookups the same inode.
    enum Identity: Hashable, Sendable {
        case path(parent: UInt64, name: [UInt8])
        /// An entry of a snapshot's folder, by its place in the folder's
        /// sorted, never-changing listing.
        case listed(parent: UInt64, position: Int)
        case hardlink(snapshotRoot: UInt64, device: UInt64, inode: UInt64)
    }

    private let entries: Mutex<[UInt64: Entry]>

    init() {
        let root = Entry(item: .virtualFolder(.root), parent: Self.rootNumber, name: [], identity: .path(parent: 0, name: []), lookups: 1)
        entries = Mutex([Self.rootNumber: root])
    }

    var count: Int { entries.withLock { $0.count } }

    func entry(_ number: UInt64) -> Entry? { entries.withLock { $0[number] } }

    /// `position` is the entry's place in its folder's listing, when it is in a snapshot.
    static func identity(of item: MountedItem, parent: UInt64, name: [UInt8], position: Int?) -> Identity {
        switch item {
        case .node(let node, let snapshotRoot) where node.type == .file && node.links > 1:
            return .hardlink(snapshotRoot: snapshotRoot, device: node.device, inode: node.inode)
        case .node where position != nil:
            return .listed(parent: parent, position: position ?? 0)
        case .virtualLink(let target, _):
            // The kernel caches a symlink's target with its inode: when `latest`
            // moves, it must become a new inode, or the old target stays.
            return .path(parent: parent, name: name + [0] + target)
        case .snapshotRoot(let id, _):
            // A name can pass to another snapshot (a forgotten one's `-1`): a new inode then.
            return .path(parent: parent, name: name + [0] + Array(id.hex.utf8))
        default:
            break
        }
        return .path(parent: parent, name: name)
    }

    /// The number `item` has (or would have) under `parent`, without counting a lookup.
    func number(for item: MountedItem, parent: UInt64, name: [UInt8], position: Int?) -> UInt64 {
        let identity = Self.identity(of: item, parent: parent, name: name, position: position)
        return entries.withLock { Self.freeNumber(for: identity, in: $0) }
    }

    /// Records one kernel lookup of `item` and returns its number.
    func lookUp(_ item: MountedItem, parent: UInt64, name: [UInt8], position: Int?) -> UInt64 {
        let identity = Self.identity(of: item, parent: parent, name: name, position: position)
        return entries.withLock { table in
            let number = Self.freeNumber(for: identity, in: table)
            if var entry = table[number] {
                entry.lookups += 1
                // A virtual item may have changed (`latest` moved): keep the newest.
                if item.isVirtual { entry.item = item }
                table[number] = entry
            } else {
                table[number] = Entry(item: item, parent: parent, name: name, identity: identity, lookups: 1)
            }
            return number
        }
    }

    /// The kernel dropped `count` references; the entry goes at zero.
    func forget(_ number: UInt64, count: UInt64) {
        guard number != Self.rootNumber else { return }
        entries.withLock { table in
            guard var entry = table[number] else { return }
            if entry.lookups <= count {
                table.removeValue(forKey: number)
            } else {
                entry.lookups -= count
                table[number] = entry
            }
        }
    }

    /// The path below the mount point, for messages. Parents outlive their
    /// children in the kernel's cache, so the chain is complete.
    func path(of number: UInt64) -> String {
        var components = [String]()
        var current = number
        entries.withLock { table in
            while current != Self.rootNumber, let entry = table[current], components.count < 4096 {
                components.append(PathBytes.display(entry.name))
                current = entry.parent
            }
        }
        return "/" + components.reversed().joined(separator: "/")
    }

    /// A number derived from the identity; on the rare collision with a
    /// different live entry, the next candidate. 0 and 1 are reserved.
    private static func freeNumber(for identity: Identity, in table: [UInt64: Entry]) -> UInt64 {
        var candidate: UInt64
        if case .listed(let parent, let position) = identity {
            // The folder picks a range of 2^24 numbers; the position is the offset in it.
            candidate = mixed(parent) << 24 | UInt64(truncatingIfNeeded: position) & 0xFF_FFFF
        } else {
            var hasher = Hasher()
            hasher.combine(identity)
            candidate = UInt64(bitPattern: Int64(hasher.finalize()))
        }
        while true {
            if candidate > rootNumber, table[candidate]?.identity ?? identity == identity { return candidate }
            candidate = candidate &* 6364136223846793005 &+ 1442695040888963407
        }
    }

    /// splitmix64's finalizer: spreads folders' number ranges apart.
    private static func mixed(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
