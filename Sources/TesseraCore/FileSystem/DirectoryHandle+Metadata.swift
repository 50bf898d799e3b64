import Glibc

extension DirectoryHandle {
    /// Applies a node's metadata to the child `name`, never following a symlink:
    /// owner (only when `owner` is true: by user/group name via `names`,
    /// falling back to the numeric ids), then mode (not for symlinks), then
    /// extended attributes, then access and modification times (ns).
    ///
    /// The order matters: chown clears setuid/setgid and file capabilities
    /// (an xattr), so it comes first; anything but the times would change the
    /// ctime/mtime, so they come last. Call it for a directory only after its
    /// contents are restored, or adding them changes its mtime again.
    ///
    /// Every step is tried even when an earlier one fails; the first failure
    /// is thrown at the end. When the owner cannot be set, setuid and setgid
    /// are dropped (as tar does): they would grant the wrong owner's rights.
    public func applyMetadata(_ name: [UInt8], of node: Node, owner: Bool, names: OwnerNames) throws {
        let cName = try checkedName(name, "set metadata of")
        var firstError: FileSystemError?
        func record(_ body: () throws(FileSystemError) -> Void) {
            do { try body() } catch { firstError = firstError ?? error }
        }

        var ownerSet = true
        if owner {
            let uid = node.user.isEmpty ? node.uid : names.uid(named: node.user) ?? node.uid
            let gid = node.group.isEmpty ? node.gid : names.gid(named: node.group) ?? node.gid
            ownerSet = false
            record { () throws(FileSystemError) in
                try SystemCall.check("change owner of", childPath(name)) {
                    fchownat(descriptor, cName, uid, gid, AT_SYMLINK_NOFOLLOW)
                }
                ownerSet = true
            }
        }

        // Symlinks have no mode of their own on Linux.
        if node.type != .symlink {
            let mode = node.mode & (ownerSet ? 0o7777 : 0o1777)
            record { () throws(FileSystemError) in
                // glibc implements AT_SYMLINK_NOFOLLOW (via O_PATH), and fails
                // with EOPNOTSUPP if a symlink was put in place meanwhile.
                try SystemCall.check("change mode of", childPath(name)) {
                    fchmodat(descriptor, cName, mode_t(mode), AT_SYMLINK_NOFOLLOW)
                }
            }
        }

        if !node.xattrs.isEmpty {
            let target = try procPath(name, "set extended attributes of")
            for attribute in node.xattrs {
                record { () throws(FileSystemError) in
                    let operation = "set extended attribute \(PathBytes.display(attribute.name)) of"
                    guard !attribute.name.isEmpty, !attribute.name.contains(0) else {
                        throw FileSystemError(operation: operation, path: childPath(name), code: EINVAL)
                    }
                    do throws(ErrnoCode) {
                        try ExtendedAttributeCalls.setValue(target, name: SystemCall.cString(attribute.name), value: attribute.value)
                    } catch {
                        throw FileSystemError(operation: operation, path: childPath(name), code: error.code)
                    }
                }
            }
        }

        record { () throws(FileSystemError) in
            let times = [node.atime.timespecValue, node.mtime.timespecValue]
            try SystemCall.check("set times of", childPath(name)) {
                utimensat(descriptor, cName, times, AT_SYMLINK_NOFOLLOW)
            }
        }

        if let firstError { throw firstError }
    }
}
