import Foundation

/// A repository in a local folder.
///
/// Writes go to a temporary file in the destination folder, are flushed to
/// disk, then renamed into place: a crash leaves either no object or a whole
/// one (invariant 5). Locks are the exception to the flush: a lock lost in a
/// crash would be stale anyway, and two fsyncs per command are not free. Blocking I/O is fine here: each call is one syscall
/// sequence on a cooperative thread, bounded by the callers' concurrency.
public struct LocalBackend: Backend {
    public let root: URL
    private let rootPath: String
    public var location: String { root.path }

    public init(path: String) {
        self.root = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
        self.rootPath = root.path
    }

    /// Creates the folder layout for a new repository, including the 256 pack folders.
    public func createLayout() throws {
        let manager = FileManager.default
        if let existing = try? manager.contentsOfDirectory(atPath: root.path), !existing.isEmpty {
            throw BackendError.io(operation: "create a repository in", object: root.path, reason: "the folder is not empty; choose a new or empty folder")
        }
        do {
            for kind in ObjectKind.allCases where kind != .config {
                try manager.createDirectory(at: root.appendingPathComponent(kind.rawValue), withIntermediateDirectories: true)
            }
            for prefix in 0..<256 {
                try manager.createDirectory(at: root.appendingPathComponent("data/" + HexCoding.encode([UInt8(prefix)])), withIntermediateDirectories: true)
            }
        } catch {
            throw BackendError.io(operation: "create", object: root.path, reason: Self.reason(error))
        }
    }

    public func create() async throws { try createLayout() }

    private func url(_ handle: ObjectHandle) -> URL { root.appendingPathComponent(handle.path) }

    // Every operation blocks in the kernel (fsync above all), so it runs on the
    // I/O threads, never on the cooperative pool.
    public func save(_ handle: ObjectHandle, data: Data) async throws {
        try await BlockingIOPool.shared.run { try saveNow(handle, data: data) }
    }

    public func load(_ handle: ObjectHandle, range: Range<Int64>?) async throws -> Data {
        try await BlockingIOPool.shared.run { try loadNow(handle, range: range) }
    }

    public func stat(_ handle: ObjectHandle) async throws -> ObjectInfo {
        try await BlockingIOPool.shared.run { try statNow(handle) }
    }

    public func list(_ kind: ObjectKind) async throws -> [ObjectInfo] {
        try await BlockingIOPool.shared.run { try listNow(kind) }
    }

    public func delete(_ handle: ObjectHandle) async throws {
        try await BlockingIOPool.shared.run { try deleteNow(handle) }
    }

    private func saveNow(_ handle: ObjectHandle, data: Data) throws {
        let destination = url(handle)
        let folder = destination.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".tmp-\(ID.random().short)-\(destination.lastPathComponent)")
        let durable = handle.kind != .lock
        try writeFile(data, to: temporary, folder: folder, durable: durable)
        guard rename(temporary.path, destination.path) == 0 else {
            let reason = FileSystemError.reason(errno)
            unlink(temporary.path)
            throw BackendError.io(operation: "save", object: handle.path, reason: reason)
        }
        if durable { syncFolder(folder) }
    }

    private func writeFile(_ data: Data, to file: URL, folder: URL, durable: Bool) throws {
        var descriptor = open(file.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor < 0, errno == ENOENT {
            try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            descriptor = open(file.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        }
        guard descriptor >= 0 else {
            throw BackendError.io(operation: "create", object: file.path, reason: FileSystemError.reason(errno))
        }
        defer { close(descriptor) }
        // The errno of the failed call, taken at once (later calls may change errno).
        let failure: Int32? = data.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count, let start = buffer.baseAddress {
                let result = write(descriptor, start + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += result
            }
            return !durable || fsync(descriptor) == 0 ? nil : errno
        }
        if let failure {
            unlink(file.path)
            var reason = FileSystemError.reason(failure)
            if failure == ENOSPC || failure == EDQUOT {
                reason += "; free space on the disk that holds the repository, then run the command again (what was written before is safe)"
            }
            throw BackendError.io(operation: "write", object: file.path, reason: reason)
        }
    }

    private func syncFolder(_ folder: URL) {
        let descriptor = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    private func loadNow(_ handle: ObjectHandle, range: Range<Int64>?) throws -> Data {
        // A plain string join: URL building cost more than the read itself
        // for the small blobs the mount and restore load one by one.
        let descriptor = open(rootPath + "/" + handle.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw openError(handle) }
        defer { close(descriptor) }
        var info = Glibc.stat()
        guard fstat(descriptor, &info) == 0 else { throw BackendError.io(operation: "stat", object: handle.path, reason: FileSystemError.reason(errno)) }
        let size = Int64(info.st_size)
        let start: Int64
        let count: Int
        if let range {
            // Checked before allocating: a damaged index entry may ask for terabytes.
            guard range.lowerBound >= 0, range.upperBound <= size else {
                throw BackendError.io(operation: "read", object: handle.path, reason: "bytes \(range) lie outside the object's \(size) bytes")
            }
            start = range.lowerBound
            count = Int(range.count)
        } else {
            start = 0
            count = Int(size)
        }
        var data = Data(count: count)
        let result: Result<Int, BackendError> = data.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return .success(0) }
            var done = 0
            while done < count {
                let got = pread(descriptor, base + done, count - done, off_t(start) + off_t(done))
                if got < 0 {
                    if errno == EINTR { continue }
                    return .failure(.io(operation: "read", object: handle.path, reason: FileSystemError.reason(errno)))
                }
                if got == 0 { break }
                done += got
            }
            return .success(done)
        }
        let read = try result.get()
        guard read == count else {
            throw BackendError.io(operation: "read", object: handle.path, reason: "object is shorter than expected (\(read) of \(count) bytes)")
        }
        return data
    }

    private func statNow(_ handle: ObjectHandle) throws -> ObjectInfo {
        guard let info = fileStatus(url(handle).path) else { throw openError(handle) }
        return ObjectInfo(handle: handle, size: Int64(info.st_size))
    }

    private func listNow(_ kind: ObjectKind) throws -> [ObjectInfo] {
        let folder = root.appendingPathComponent(kind.rawValue)
        let folders: [URL]
        if kind == .data {
            folders = try names(in: folder).filter { $0.count == 2 }.sorted().map { folder.appendingPathComponent($0) }
        } else if kind == .config {
            return (try? statNow(.config)).map { [$0] } ?? []
        } else {
            folders = [folder]
        }
        var result = [ObjectInfo]()
        for directory in folders {
            for name in try names(in: directory) where !name.hasPrefix(".") {
                guard let info = fileStatus(directory.appendingPathComponent(name).path), (info.st_mode & S_IFMT) == S_IFREG else { continue }
                result.append(ObjectInfo(handle: ObjectHandle(kind: kind, name: name), size: Int64(info.st_size)))
            }
        }
        return result
    }

    /// The entries of a folder; none when it does not exist (an empty kind), an
    /// error when it cannot be read (never a silently empty listing).
    private func names(in folder: URL) throws -> [String] {
        guard let directory = opendir(folder.path) else {
            if errno == ENOENT { return [] }
            throw BackendError.io(operation: "list", object: folder.path, reason: FileSystemError.reason(errno))
        }
        defer { closedir(directory) }
        var names = [String]()
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    private func deleteNow(_ handle: ObjectHandle) throws {
        guard unlink(url(handle).path) == 0 else { throw openError(handle) }
    }

    private func openError(_ handle: ObjectHandle) -> BackendError {
        errno == ENOENT ? .notFound(handle) : .io(operation: "open", object: handle.path, reason: FileSystemError.reason(errno))
    }

    private static func reason(_ error: Error) -> String {
        (error as NSError).localizedDescription
    }
}

/// `stat(2)` of a path; outside the type because `LocalBackend.stat` hides the C function there.
private func fileStatus(_ path: String) -> Glibc.stat? {
    var info = Glibc.stat()
    return stat(path, &info) == 0 ? info : nil
}
