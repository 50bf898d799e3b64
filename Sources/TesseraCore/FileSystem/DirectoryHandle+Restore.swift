import Glibc

/// Creating and removing entries, for restore. Every call works on one name
/// in this directory and never follows a symlink, so a symlink planted in the
/// target (or an entry raced in) cannot make a restore write elsewhere.
///
/// Modes given here are only the initial permissions (reduced by the umask,
/// without setuid, setgid and sticky); `applyMetadata` sets the final ones.
extension DirectoryHandle {
    /// Creates a child directory. An existing directory is fine; anything else
    /// with that name (a symlink to a directory included) fails with EEXIST.
    public func makeDirectory(_ name: [UInt8], mode: UInt32) throws {
        let cName = try checkedName(name, "create directory")
        let (_, code) = SystemCall.attempt { mkdirat(descriptor, cName, mode_t(mode & 0o777)) }
        if code == 0 { return }
        if code == EEXIST, (try? status(name))?.type == .directory { return }
        throw FileSystemError(operation: "create directory", path: childPath(name), code: code)
    }

    /// Creates a new file for writing. Fails (EEXIST) if anything has that
    /// name, a dangling symlink included: O_EXCL never follows it.
    public func createFile(_ name: [UInt8], mode: UInt32) throws -> OpenFile {
        let cName = try checkedName(name, "create")
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
        let opened = try SystemCall.check("create", childPath(name)) {
            openat(descriptor, cName, flags, mode_t(mode & 0o777))
        }
        return OpenFile(descriptor: opened, path: childPath(name))
    }

    /// Opens a file this restore created, to write its content; never follows a symlink.
    public func openFileForWriting(_ name: [UInt8]) throws -> OpenFile {
        let cName = try checkedName(name, "open")
        let opened = try SystemCall.check("open", childPath(name)) {
            openat(descriptor, cName, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
        }
        return OpenFile(descriptor: opened, path: childPath(name))
    }

    public func makeSymlink(_ name: [UInt8], target: [UInt8]) throws {
        let cName = try checkedName(name, "create symlink")
        // The target is stored, not resolved, so any bytes are fine except NUL.
        guard !target.contains(0) else {
            throw FileSystemError(operation: "create symlink", path: childPath(name), code: EINVAL)
        }
        let cTarget = SystemCall.cString(target)
        try SystemCall.check("create symlink", childPath(name)) { symlinkat(cTarget, descriptor, cName) }
    }

    /// Creates a FIFO, character or block device, or socket (`mknodat`).
    /// `rdev` is used for devices only.
    public func makeSpecial(_ name: [UInt8], type: NodeType, mode: UInt32, rdev: UInt64) throws {
        let cName = try checkedName(name, "create")
        let isDevice = type == .characterDevice || type == .blockDevice
        guard type == .fifo || type == .socket || isDevice, let device = dev_t(exactly: isDevice ? rdev : 0) else {
            throw FileSystemError(operation: "create \(type.name)", path: childPath(name), code: EINVAL)
        }
        let fullMode = FileStatus.modeBits(of: type) | mode_t(mode & 0o777)
        try SystemCall.check("create \(type.name)", childPath(name)) { mknodat(descriptor, cName, fullMode, device) }
    }

    /// Creates `name` as another link to `existing`. A symlink there is linked
    /// itself, not its target (linkat without AT_SYMLINK_FOLLOW).
    public func makeHardLink(_ name: [UInt8], to existing: (directory: DirectoryHandle, name: [UInt8])) throws {
        let operation = "link \(PathBytes.display(existing.directory.childPath(existing.name))) as"
        let cName = try checkedName(name, operation)
        let cExisting = try existing.directory.checkedName(existing.name, operation)
        try SystemCall.check(operation, childPath(name)) {
            linkat(existing.directory.descriptor, cExisting, descriptor, cName, 0)
        }
    }

    /// Removes a child; a directory is removed with everything in it (for
    /// --overwrite). Subdirectories are opened without following symlinks, so
    /// a symlink inside is removed, never what it points to.
    public func remove(_ name: [UInt8]) throws {
        guard try removeIfNotDirectory(name) else { return }
        // Depth-first without recursion, so a deep tree cannot overflow the
        // stack; each level holds one descriptor (a very deep tree fails with
        // EMFILE rather than crashing).
        struct Level {
            let directory: DirectoryHandle
            let name: [UInt8]
            var pending: [[UInt8]]
        }
        let top = try openDirectory(name)
        var levels = [Level(directory: top, name: name, pending: try top.entryNames().reversed())]
        while let last = levels.indices.last {
            if let child = levels[last].pending.popLast() {
                let directory = levels[last].directory
                if try directory.removeIfNotDirectory(child) {
                    let opened = try directory.openDirectory(child)
                    levels.append(Level(directory: opened, name: child, pending: try opened.entryNames().reversed()))
                }
            } else {
                let finished = levels.removeLast()
                let parent = levels.last?.directory ?? self
                let cName = try parent.checkedName(finished.name, "remove")
                try SystemCall.check("remove", parent.childPath(finished.name)) {
                    unlinkat(parent.descriptor, cName, AT_REMOVEDIR)
                }
            }
        }
    }

    /// Unlinks a child that is not a directory; returns true (and does
    /// nothing) when it is a directory.
    private func removeIfNotDirectory(_ name: [UInt8]) throws -> Bool {
        let cName = try checkedName(name, "remove")
        let (_, code) = SystemCall.attempt { unlinkat(descriptor, cName, 0) }
        if code == 0 { return false }
        // Linux answers EISDIR for a directory (POSIX also allows EPERM).
        if code == EISDIR || code == EPERM, (try? status(name))?.type == .directory { return true }
        throw FileSystemError(operation: "remove", path: childPath(name), code: code)
    }
}
