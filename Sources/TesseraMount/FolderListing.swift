import CFuse
import Foundation
import TesseraCore

/// Fills one `readdir`/`readdirplus` buffer from an open folder: `.` and
/// `..` first, then the entries in order; `offset` is the position to resume at.
enum FolderListing {
    static func fill(_ raw: fuse_req_t, fileSystem: SnapshotFileSystem, folder: UInt64, handle: UInt64,
                     size: Int, offset: off_t, plus: Bool) throws -> Data {
        guard let children = fileSystem.folderEntries(handle), let own = fileSystem.inodes.entry(folder) else {
            throw MountError.badHandle
        }
        guard size > 0 else { return Data() }
        var buffer = Data(count: size)
        var used = 0
        var position = Int(max(offset, 0))
        let total = children.count + 2
        while position < total {
            let name: [UInt8]
            let item: MountedItem
            let number: UInt64
            var counts = false
            var listed: Int?
            switch position {
            case 0:
                (name, item, number) = (Array(".".utf8), own.item, folder)
            case 1:
                let parent = fileSystem.inodes.entry(own.parent)?.item ?? own.item
                (name, item, number) = (Array("..".utf8), parent, own.parent)
            default:
                let child = children[position - 2]
                (name, item) = (child.name, child.item)
                // A snapshot's entries are numbered by their place in the listing.
                if case .node = item { listed = position - 2 }
                number = fileSystem.inodes.number(for: item, parent: folder, name: name, position: listed)
                counts = plus
            }
            let attributes = fileSystem.attributes.attributes(of: item, number: number)
            let needed = buffer.withUnsafeMutableBytes { bytes -> Int in
                // No buffer (size 0 is refused above) fits nothing: report "does not fit".
                guard let base = bytes.baseAddress else { return Int.max }
                let start = base.assumingMemoryBound(to: CChar.self) + used
                return (name + [0]).withUnsafeBufferPointer { nameBytes in
                    nameBytes.withMemoryRebound(to: CChar.self) { cName -> Int in
                        if plus {
                            var entry = fuse_entry_param()
                            entry.ino = number
                            entry.generation = 1
                            entry.attr = attributes
                            entry.attr_timeout = SnapshotFileSystem.timeout(for: item)
                            entry.entry_timeout = entry.attr_timeout
                            return fuse_add_direntry_plus(raw, start, size - used, cName.baseAddress, &entry, off_t(position + 1))
                        }
                        var info = attributes
                        return fuse_add_direntry(raw, start, size - used, cName.baseAddress, &info, off_t(position + 1))
                    }
                }
            }
            guard needed <= size - used else { break }
            // readdirplus hands the kernel an entry: that is a lookup it will forget later.
            if counts { _ = fileSystem.inodes.lookUp(item, parent: folder, name: name, position: listed, known: number) }
            used += needed
            position += 1
        }
        return buffer.prefix(used)
    }
}
