import Glibc

extension DirectoryHandle {
    /// Everything about a child except `content` and `subtree` (which the
    /// archiver fills in): the lstat fields, a symlink's target, the extended
    /// attributes and the owner's user and group names.
    public func node(_ name: [UInt8], names: OwnerNames) throws -> Node {
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
            xattrs: try extendedAttributes(name),
            device: status.device, inode: status.inode, links: status.links,
            rdev: isDevice ? status.rdev : 0
        )
    }
}
