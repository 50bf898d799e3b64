import Glibc

extension DirectoryHandle {
    /// Everything about a child except `content` and `subtree` (which the
    /// archiver fills in): the lstat fields, a symlink's target, the extended
    /// attributes and the owner's user and group names.
    ///
    /// `previous` is the same entry in an earlier snapshot: when it is the same
    /// inode with the same ctime, its extended attributes are taken from it
    /// instead of read again (changing one changes the ctime).
    public func node(_ name: [UInt8], names: OwnerNames, previous: Node? = nil) throws -> Node {
        let status = try status(name)
        guard let type = status.type else {
            throw FileSystemError(operation: "back up the unknown file type of", path: childPath(name), code: EOPNOTSUPP)
        }
        let isDevice = type == .characterDevice || type == .blockDevice
        return Node(
            name: name, type: type, mode: status.mode, uid: status.uid, gid: status.gid,
            user: names.user(status.uid), group: names.group(status.gid),
            mtime: status.mtime, ctime: status.ctime, atime: status.atime,
            size: type == .file ? status.size : 0,
            linkTarget: type == .symlink ? try readLink(name) : [],
            xattrs: try previous.flatMap { old in
                old.type == type && old.inode == status.inode && old.ctime == status.ctime ? old.xattrs : nil
            } ?? extendedAttributes(name),
            device: status.device, inode: status.inode, links: status.links,
            rdev: isDevice ? status.rdev : 0
        )
    }
}
