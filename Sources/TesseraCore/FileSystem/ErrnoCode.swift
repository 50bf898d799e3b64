/// A bare errno, for helpers whose callers add the operation and path.
struct ErrnoCode: Error {
    let code: Int32
    init(_ code: Int32) { self.code = code }
}
