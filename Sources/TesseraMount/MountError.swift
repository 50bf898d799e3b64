import Glibc

/// An errno for the kernel: every request ends in data or in one of these.
struct MountError: Error, Sendable {
    let code: Int32

    static let notFound = MountError(code: ENOENT)
    static let notADirectory = MountError(code: ENOTDIR)
    static let readOnly = MountError(code: EROFS)
    static let io = MountError(code: EIO)
    static let noAttribute = MountError(code: ENODATA)
    static let invalid = MountError(code: EINVAL)
}
