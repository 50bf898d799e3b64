import CFuse
import Foundation
import TesseraCore

/// A folder's entries in listing order: a made-up folder's, or a snapshot
/// folder's tree (its items are made as the kernel asks, not all at once).
enum FolderEntries {
    case virtual([(name: [UInt8], item: MountedItem)])
    case tree(Tree, id: ID, snapshotRoot: UInt64)

    var count: Int {
        switch self {
        case .virtual(let entries): entries.count
        case .tree(let tree, _, _): tree.nodes.count
        }
    }

    /// The entry at `index`, with its place in the listing when it is a snapshot's (it numbers the inode).
    func entry(_ index: Int) -> (name: [UInt8], item: MountedItem, position: Int?) {
        switch self {
        case .virtual(let entries): (entries[index].name, entries[index].item, nil)
        case .tree(let tree, _, let snapshotRoot): (tree.nodes[index].name, .node(tree.nodes[index], snapshotRoot: snapshotRoot), index)
        }
    }
}

/// Fills one `readdir`/`readdirplus` buffer: `.` and `..` first, then the
/// entries in order; `offset` is the position to resume at.
enum FolderListing {
    static func fill(_ raw: fuse_req_t, fileSystem: SnapshotFileSystem, folder: UInt64, entries: FolderEntries,
                     size: Int, offset: off_t, plus: Bool) throws -> Data {
        guard let own = fileSystem.inodes.entry(folder) else { throw MountError.notFound }
        guard size > 0 else { return Data() }
        var buffer = Data(count: size)
        var used = 0
        var position = Int(max(offset, 0))
        let total = entries.count + 2
        // During a walk that uses no files, files are listed without an inode (see ListingWalk).
        let filesGetEntries = !plus || fileSystem.walk.filesGetEntries
        var bare = 0
        defer { fileSystem.walk.listedWithoutInode(bare) }
        while position < total {
            let name: [UInt8]
            let item: MountedItem
            var listed: Int?
            switch position {
            case 0: (name, item) = (Array(".".utf8), own.item)
            case 1: (name, item) = (Array("..".utf8), fileSystem.inodes.entry(own.parent)?.item ?? own.item)
            default: (name, item, listed) = entries.entry(position - 2)
            }
            let written = withUnsafeTemporaryAllocation(of: CChar.self, capacity: name.count + 1) { cName -> Bool in
                for (index, byte) in name.enumerated() { cName[index] = CChar(bitPattern: byte) }
                cName[name.count] = 0
                // libfuse gives an entry's size when handed no buffer.
                let needed = plus ? fuse_add_direntry_plus(raw, nil, 0, cName.baseAddress, nil, 0) : fuse_add_direntry(raw, nil, 0, cName.baseAddress, nil, 0)
                guard needed <= size - used else { return false }
                let number: UInt64
                let handsEntry = plus && (filesGetEntries || item.isDirectory)
                switch position {
                case 0: number = folder
                case 1: number = own.parent
                // readdirplus hands the kernel an entry: that is a lookup it will forget later.
                default: number = handsEntry ? fileSystem.inodes.lookUp(item, parent: folder, name: name, position: listed)
                                             : fileSystem.inodes.number(for: item, parent: folder, name: name, position: listed)
                }
                var attributes = fileSystem.attributes(of: item, number: number)
                buffer.withUnsafeMutableBytes { bytes in
                    guard let base = bytes.baseAddress else { return }
                    let start = base.assumingMemoryBound(to: CChar.self) + used
                    if plus {
                        var entry = fuse_entry_param()
                        // Inode 0: the kernel takes the name and type but makes no inode.
                        entry.ino = handsEntry ? number : 0
                        if !handsEntry { bare += 1 }
                        entry.generation = 1
                        entry.attr = attributes
                        entry.attr_timeout = SnapshotFileSystem.timeout(for: item)
                        entry.entry_timeout = entry.attr_timeout
                        _ = fuse_add_direntry_plus(raw, start, size - used, cName.baseAddress, &entry, off_t(position + 1))
                    } else {
                        _ = fuse_add_direntry(raw, start, size - used, cName.baseAddress, &attributes, off_t(position + 1))
                    }
                }
                used += needed
                return true
            }
            guard written else { break }
            position += 1
        }
        return buffer.prefix(used)
    }
}
