import Glibc

/// The `l*xattr` functions of glibc, which Swift's Glibc module does not import
/// (`<sys/xattr.h>` is not part of it). They are looked up once with `dlsym`;
/// the signatures below are glibc's stable C ABI.
///
/// They take a path; callers pass "/proc/self/fd/<dirfd>/<name>", which the
/// kernel resolves through the open directory itself (not by name), and the
/// `l` variants do not follow a final symlink, so no race can redirect them.
enum ExtendedAttributeCalls {
    typealias List = @convention(c) (UnsafePointer<CChar>, UnsafeMutablePointer<CChar>?, Int) -> Int
    typealias Get = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeMutableRawPointer?, Int) -> Int
    typealias Set = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeRawPointer?, Int, Int32) -> Int32

    // `static let` is initialised once, thread-safely, and immutable afterwards.
    static let list: List? = symbol("llistxattr", as: List.self)
    static let get: Get? = symbol("lgetxattr", as: Get.self)
    static let set: Set? = symbol("lsetxattr", as: Set.self)

    private static func symbol<Function>(_ name: String, as type: Function.Type) -> Function? {
        // RTLD_DEFAULT is the null handle on glibc: search the loaded libc.
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(address, to: type)
    }

    /// How many times to retry when an attribute grows between asking for its
    /// size and reading it (ERANGE); more means someone keeps changing it.
    static let maximumAttempts = 8

    /// The attribute names of the entry at `path`, unsorted. Throws the errno.
    static func names(_ path: [CChar]) throws(ErrnoCode) -> [[UInt8]] {
        guard let list else { throw ErrnoCode(ENOSYS) }
        for _ in 0..<maximumAttempts {
            let (size, sizeCode) = SystemCall.attempt { list(path, nil, 0) }
            if sizeCode != 0 { throw ErrnoCode(sizeCode) }
            if size == 0 { return [] }
            var buffer = [CChar](repeating: 0, count: size)
            let (length, code) = SystemCall.attempt { list(path, &buffer, buffer.count) }
            if code == ERANGE { continue }
            if code != 0 { throw ErrnoCode(code) }
            // The list is NUL-terminated names one after another.
            return buffer[0..<length].split(separator: 0).map { $0.map { UInt8(bitPattern: $0) } }
        }
        throw ErrnoCode(ERANGE)
    }

    /// The value of one attribute, or nil when it vanished meanwhile (ENODATA).
    static func value(_ path: [CChar], name: [CChar]) throws(ErrnoCode) -> [UInt8]? {
        guard let get else { throw ErrnoCode(ENOSYS) }
        for _ in 0..<maximumAttempts {
            let (size, sizeCode) = SystemCall.attempt { get(path, name, nil, 0) }
            if sizeCode == ENODATA { return nil }
            if sizeCode != 0 { throw ErrnoCode(sizeCode) }
            if size == 0 { return [] }
            var buffer = [UInt8](repeating: 0, count: size)
            let (length, code) = buffer.withUnsafeMutableBytes { raw in
                SystemCall.attempt { get(path, name, raw.baseAddress, raw.count) }
            }
            if code == ERANGE { continue }
            if code == ENODATA { return nil }
            if code != 0 { throw ErrnoCode(code) }
            return Array(buffer[0..<length])
        }
        throw ErrnoCode(ERANGE)
    }

    /// Sets (creating or replacing) one attribute.
    static func setValue(_ path: [CChar], name: [CChar], value: [UInt8]) throws(ErrnoCode) {
        guard let set else { throw ErrnoCode(ENOSYS) }
        let (_, code) = value.withUnsafeBytes { raw in
            SystemCall.attempt { set(path, name, raw.baseAddress, raw.count, 0) }
        }
        if code != 0 { throw ErrnoCode(code) }
    }
}
