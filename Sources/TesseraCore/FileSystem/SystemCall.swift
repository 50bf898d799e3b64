import Glibc

/// Small helpers shared by the file-system wrappers: C strings from raw bytes
/// and the "-1 means look at errno, retry on EINTR" convention.
enum SystemCall {
    /// `bytes` with a terminating NUL, ready to pass where C wants a `const char *`.
    /// Callers must have rejected embedded NULs (they would silently cut the name).
    static func cString(_ bytes: [UInt8]) -> [CChar] {
        var result = [CChar]()
        result.reserveCapacity(bytes.count + 1)
        for byte in bytes { result.append(CChar(bitPattern: byte)) }
        result.append(0)
        return result
    }

    /// Runs `call` until it does not fail with EINTR. A result of -1 throws a
    /// `FileSystemError`; the path is only built when there is an error.
    /// Never use this for `close`, which must not be retried on Linux.
    @discardableResult
    static func check<Result: FixedWidthInteger & SignedInteger>(
        _ operation: String, _ path: @autoclosure () -> [UInt8], _ call: () -> Result
    ) throws(FileSystemError) -> Result {
        while true {
            let result = call()
            if result != -1 { return result }
            let code = errno
            if code != EINTR { throw FileSystemError(operation: operation, path: path(), code: code) }
        }
    }

    /// Like `check`, but returns the errno instead of throwing, for callers that
    /// treat some failures (EEXIST, ENOTSUP, …) as answers rather than errors.
    static func attempt<Result: FixedWidthInteger & SignedInteger>(_ call: () -> Result) -> (result: Result, code: Int32) {
        while true {
            let result = call()
            if result != -1 { return (result, 0) }
            let code = errno
            if code != EINTR { return (result, code) }
        }
    }
}
