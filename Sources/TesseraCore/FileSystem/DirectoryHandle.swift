import Glibc

/// An open directory. Everything below it is reached relative to its
/// descriptor, one name (raw bytes) at a time and never following symlinks,
/// so neither a symlink nor a concurrent rename can redirect a backup walk or
/// a restore outside the tree. Paths are only built for messages.
///
/// Closes its descriptor in deinit. Sendable: the descriptor never changes and
/// no operation depends on the directory's shared file position.
public final class DirectoryHandle: Sendable {
    let descriptor: Int32
    /// For messages only.
    public let path: [UInt8]

    init(descriptor: Int32, path: [UInt8]) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit {
        // Not retried on EINTR: on Linux the descriptor is released either way.
        close(descriptor)
    }

    /// Opens a directory the user named. Symlinks along `path` are followed:
    /// the user chose it; protection starts below it.
    public static func open(path: [UInt8]) throws -> DirectoryHandle {
        guard !path.isEmpty, !path.contains(0) else {
            throw FileSystemError(operation: "open", path: path, code: path.isEmpty ? ENOENT : EINVAL)
        }
        let cPath = SystemCall.cString(path)
        let descriptor = try SystemCall.check("open", path) {
            Glibc.open(cPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        return DirectoryHandle(descriptor: descriptor, path: path)
    }

    /// Opens a child directory. A symlink is refused (ELOOP or ENOTDIR), even
    /// one pointing at a directory.
    public func openDirectory(_ name: [UInt8]) throws -> DirectoryHandle {
        let cName = try checkedName(name, "open")
        let descriptor = try SystemCall.check("open", childPath(name)) {
            openat(self.descriptor, cName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        }
        return DirectoryHandle(descriptor: descriptor, path: childPath(name))
    }

    /// The names in the directory, without "." and "..", sorted bytewise.
    public func entryNames() throws -> [[UInt8]] {
        // A fresh open file description: fdopendir takes ownership of its
        // descriptor and moves its position, which must not be shared.
        let listing = try SystemCall.check("list", path) {
            openat(descriptor, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        guard let stream = fdopendir(listing) else {
            let code = errno
            close(listing)
            throw FileSystemError(operation: "list", path: path, code: code)
        }
        defer { closedir(stream) }
        guard let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name) else {
            throw FileSystemError(operation: "list", path: path, code: EINVAL)
        }
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                let code = errno
                if code == 0 { break }
                if code == EINTR { continue }
                throw FileSystemError(operation: "list", path: path, code: code)
            }
            // Read d_name in place: a record can be shorter than `dirent`, so
            // copying the whole 256-byte field could read past the buffer.
            let namePointer = (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self)
            let name = Array(UnsafeRawBufferPointer(start: namePointer, count: strlen(namePointer)))
            if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            names.append(name)
        }
        names.sort { $0.lexicographicallyPrecedes($1) }
        return names
    }

    /// The status of a child, not following a symlink.
    public func status(_ name: [UInt8]) throws -> FileStatus {
        let cName = try checkedName(name, "stat")
        var raw = stat()
        try SystemCall.check("stat", childPath(name)) {
            fstatat(descriptor, cName, &raw, AT_SYMLINK_NOFOLLOW)
        }
        return FileStatus(raw)
    }

    /// The status of the directory itself.
    public func status() throws -> FileStatus {
        var raw = stat()
        try SystemCall.check("stat", path) { fstat(descriptor, &raw) }
        return FileStatus(raw)
    }

    /// The target of a symlink, as the kernel stores it.
    public func readLink(_ name: [UInt8]) throws -> [UInt8] {
        let cName = try checkedName(name, "read link")
        var capacity = 256
        while true {
            var buffer = [CChar](repeating: 0, count: capacity)
            let length = try SystemCall.check("read link", childPath(name)) {
                readlinkat(descriptor, cName, &buffer, capacity)
            }
            // A full buffer may mean a truncated target: try a larger one.
            if length < capacity { return buffer[0..<length].map { UInt8(bitPattern: $0) } }
            capacity *= 2
        }
    }

    /// The extended attributes of a child of any type (symlinks included),
    /// sorted by name; [] where the file system has none.
    public func extendedAttributes(_ name: [UInt8]) throws -> [ExtendedAttribute] {
        let target = try procPath(name, "read extended attributes of")
        do throws(ErrnoCode) {
            var attributes: [ExtendedAttribute] = []
            for attributeName in try ExtendedAttributeCalls.names(target) {
                let cAttribute = SystemCall.cString(attributeName)
                guard let value = try ExtendedAttributeCalls.value(target, name: cAttribute) else { continue }
                attributes.append(ExtendedAttribute(name: attributeName, value: value))
            }
            attributes.sort { $0.name.lexicographicallyPrecedes($1.name) }
            return attributes
        } catch {
            if error.code == ENOTSUP || error.code == EOPNOTSUPP { return [] }
            throw FileSystemError(operation: "read extended attributes of", path: childPath(name), code: error.code)
        }
    }

    /// Opens a child file for reading, refusing a symlink (ELOOP).
    public func openFile(_ name: [UInt8]) throws -> OpenFile {
        let cName = try checkedName(name, "open")
        // O_NONBLOCK so that a file swapped for a FIFO meanwhile cannot make
        // open hang. It changes nothing for reads of regular files, and callers
        // check the type with `status()` before reading, so it stays set.
        let flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK
        // O_NOATIME keeps backups from touching access times; the kernel only
        // allows it to the owner (or CAP_FOWNER), so fall back without it.
        var used = flags | LinuxConstants.openNoAccessTime
        var (opened, code) = SystemCall.attempt { openat(descriptor, cName, used) }
        if code == EPERM {
            used = flags
            (opened, code) = SystemCall.attempt { openat(descriptor, cName, used) }
        }
        if code != 0 { throw FileSystemError(operation: "open", path: childPath(name), code: code) }
        return OpenFile(descriptor: opened, path: childPath(name))
    }

    // MARK: - Helpers for all operations

    /// The path of a child, for messages.
    func childPath(_ name: [UInt8]) -> [UInt8] {
        PathBytes.join(path, name)
    }

    /// `name` as a C string, after refusing anything but a single component:
    /// "..", "." or a "/" would let a name reach outside this directory.
    func checkedName(_ name: [UInt8], _ operation: String) throws(FileSystemError) -> [CChar] {
        guard PathBytes.isSafeComponent(name) else {
            throw FileSystemError(operation: operation, path: childPath(name), code: EINVAL)
        }
        return SystemCall.cString(name)
    }

    /// "/proc/self/fd/<descriptor>/<name>": a path for calls that have no *at
    /// form (the xattr calls). The kernel resolves the descriptor link to this
    /// very directory, so the path cannot be redirected.
    func procPath(_ name: [UInt8], _ operation: String) throws(FileSystemError) -> [CChar] {
        guard PathBytes.isSafeComponent(name) else {
            throw FileSystemError(operation: operation, path: childPath(name), code: EINVAL)
        }
        return SystemCall.cString(Array("/proc/self/fd/\(descriptor)/".utf8) + name)
    }
}
