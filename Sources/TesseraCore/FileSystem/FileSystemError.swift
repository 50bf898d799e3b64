import Glibc

/// An error from the file system, naming the operation, the path and the OS
/// reason, e.g. "cannot open /a/b: Permission denied".
public struct FileSystemError: Error, CustomStringConvertible, Sendable {
    /// A verb phrase that reads after "cannot", e.g. "open" or "read link".
    public let operation: String
    /// The path as raw bytes; built only for messages, never used to access files.
    public let path: [UInt8]
    /// The `errno` value.
    public let code: Int32

    public init(operation: String, path: [UInt8], code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    public var description: String {
        "cannot \(operation) \(PathBytes.display(path)): \(FileSystemError.reason(code))"
    }

    /// The text of `strerror`, via the XSI `strerror_r` because `strerror`
    /// may share a static buffer between threads for unknown codes.
    public static func reason(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard strerror_r(code, &buffer, buffer.count) == 0 else { return "error \(code)" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
