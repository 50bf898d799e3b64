import Glibc
import Testing
@testable import TesseraCore

/// A fresh directory under /tmp for one test, removed afterwards. Fixtures are
/// made with plain Glibc calls so that the code under test checks itself
/// against the kernel, not against itself.
final class FileSystemScratch {
    let path: [UInt8]
    let handle: DirectoryHandle

    init() throws {
        var template = SystemCall.cString(Array("/tmp/tessera-fs-test-XXXXXX".utf8))
        guard mkdtemp(&template) != nil else {
            throw FileSystemError(operation: "create", path: Array("/tmp/tessera-fs-test-XXXXXX".utf8), code: errno)
        }
        path = template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        handle = try DirectoryHandle.open(path: path)
    }

    deinit {
        guard let parent = try? DirectoryHandle.open(path: Array("/tmp".utf8)),
              let name = PathBytes.components(path).last else { return }
        try? parent.remove(name)
    }

    /// The full path of a child, as a C string for Glibc calls.
    func cPath(_ name: [UInt8]) -> [CChar] {
        SystemCall.cString(PathBytes.join(path, name))
    }

    func writeFile(_ name: [UInt8], _ bytes: [UInt8], mode: mode_t = 0o644) throws {
        let descriptor = open(cPath(name), O_WRONLY | O_CREAT | O_TRUNC, mode)
        try expectSuccess(descriptor, "create", name)
        defer { close(descriptor) }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        #expect(written == bytes.count)
    }

    func readFile(_ name: [UInt8]) throws -> [UInt8] {
        let descriptor = open(cPath(name), O_RDONLY)
        try expectSuccess(descriptor, "open", name)
        defer { close(descriptor) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            try expectSuccess(count, "read", name)
            if count == 0 { return result }
            result += buffer[0..<count]
        }
    }

    func makeDirectory(_ name: [UInt8], mode: mode_t = 0o755) throws {
        try expectSuccess(mkdir(cPath(name), mode), "mkdir", name)
    }

    func makeSymlink(_ name: [UInt8], target: [UInt8]) throws {
        try expectSuccess(symlink(SystemCall.cString(target), cPath(name)), "symlink", name)
    }

    func changeMode(_ name: [UInt8], _ mode: mode_t) throws {
        try expectSuccess(chmod(cPath(name), mode), "chmod", name)
    }

    func setTimes(_ name: [UInt8], atime: FileTime, mtime: FileTime) throws {
        let times = [atime.timespecValue, mtime.timespecValue]
        try expectSuccess(utimensat(AT_FDCWD, cPath(name), times, AT_SYMLINK_NOFOLLOW), "utimensat", name)
    }

    /// Sets an xattr without following a symlink; returns the errno (0 on success).
    @discardableResult
    func setAttribute(_ name: [UInt8], _ attribute: String, _ value: [UInt8]) throws -> Int32 {
        do throws(ErrnoCode) {
            try ExtendedAttributeCalls.setValue(cPath(name), name: SystemCall.cString(Array(attribute.utf8)), value: value)
            return 0
        } catch {
            return error.code
        }
    }

    func lstatus(_ name: [UInt8]) throws -> stat {
        var raw = stat()
        try expectSuccess(lstat(cPath(name), &raw), "lstat", name)
        return raw
    }

    private func expectSuccess<Result: FixedWidthInteger & SignedInteger>(
        _ result: Result, _ operation: String, _ name: [UInt8]
    ) throws {
        if result == -1 { throw FileSystemError(operation: operation, path: PathBytes.join(path, name), code: errno) }
    }
}

/// Shorthand for names in tests.
func rawName(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Runs `body` and returns the FileSystemError it throws (nil, recorded as a
/// failure, when it throws nothing or something else).
func fileSystemError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> FileSystemError? {
    do {
        try body()
        Issue.record("expected a FileSystemError", sourceLocation: sourceLocation)
    } catch let error as FileSystemError {
        return error
    } catch {
        Issue.record("expected a FileSystemError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
