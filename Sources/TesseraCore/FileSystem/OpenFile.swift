import Glibc

/// An open regular file, for reading (backup) or writing (restore).
/// Closes its descriptor in deinit. Sendable: the descriptor never changes and
/// every operation uses positioned I/O (`pread`/`pwrite`), not the shared offset.
public final class OpenFile: Sendable {
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

    public func status() throws -> FileStatus {
        var raw = stat()
        try SystemCall.check("stat", path) { fstat(descriptor, &raw) }
        return FileStatus(raw)
    }

    /// Reads up to `buffer.count` bytes at `offset`; returns how many, 0 at the end.
    /// May return fewer than asked before the end (callers loop).
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        let start = try fileOffset(offset, "read")
        return try SystemCall.check("read", path) { pread(descriptor, buffer.baseAddress, buffer.count, start) }
    }

    /// The allocated (data) regions of the file in order, found with SEEK_DATA
    /// and SEEK_HOLE, clipped to `size`; everything in [0, size) outside them is
    /// a hole. The whole file is one region when the file system cannot tell.
    public func dataRegions(size: UInt64) throws -> [Range<UInt64>] {
        guard size > 0 else { return [] }
        let end = try fileOffset(size, "find data in")
        var regions: [Range<UInt64>] = []
        var position: off_t = 0
        while position < end {
            // lseek returns the offset it found, so concurrent callers moving
            // the shared file position cannot confuse each other.
            let (dataStart, dataCode) = SystemCall.attempt { lseek(descriptor, position, LinuxConstants.seekData) }
            if dataCode == ENXIO { break }  // only a hole remains
            if dataCode == EINVAL || dataCode == ENOTSUP || dataCode == EOPNOTSUPP {
                return [0..<size]  // SEEK_DATA not supported here
            }
            if dataCode != 0 { throw FileSystemError(operation: "find data in", path: path, code: dataCode) }
            if dataStart >= end { break }
            let holeStart = try SystemCall.check("find holes in", path) {
                lseek(descriptor, dataStart, LinuxConstants.seekHole)
            }
            let regionEnd = min(holeStart, end)
            if regionEnd <= dataStart { break }  // the file shrank meanwhile
            regions.append(UInt64(dataStart)..<UInt64(regionEnd))
            position = regionEnd
        }
        return regions
    }

    /// Writes all of `bytes` at `offset`, looping over short writes.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
        var done = 0
        while done < bytes.count {
            let position = try fileOffset(offset + UInt64(done), "write")
            let remaining = UnsafeRawBufferPointer(rebasing: bytes[done...])
            let written = try SystemCall.check("write", path) {
                pwrite(descriptor, remaining.baseAddress, remaining.count, position)
            }
            // pwrite returning 0 for a non-empty buffer would loop forever.
            guard written > 0 else { throw FileSystemError(operation: "write", path: path, code: EIO) }
            done += written
        }
    }

    /// Sets the size; growing the file leaves a hole at the end.
    public func truncate(to size: UInt64) throws {
        let length = try fileOffset(size, "truncate")
        try SystemCall.check("truncate", path) { ftruncate(descriptor, length) }
    }

    public func sync() throws {
        try SystemCall.check("sync", path) { fsync(descriptor) }
    }

    /// `offset` as `off_t`, or EFBIG when it is beyond what the kernel accepts.
    private func fileOffset(_ offset: UInt64, _ operation: String) throws -> off_t {
        guard let value = off_t(exactly: offset) else {
            throw FileSystemError(operation: operation, path: path, code: EFBIG)
        }
        return value
    }
}
