import Glibc
import Synchronization

/// Cached lookups between numeric ids and user/group names
/// (`getpwuid_r`, `getgrgid_r`, `getpwnam_r`, `getgrnam_r`).
/// Thread-safe; each cache is cleared when it reaches `capacity` entries so
/// that a tree with many distinct ids cannot grow it without bound.
public final class OwnerNames: Sendable {
    private struct Caches {
        var users: [UInt32: String] = [:]
        var groups: [UInt32: String] = [:]
        // Values are optional: "no such name" is cached too.
        var uids: [String: UInt32?] = [:]
        var gids: [String: UInt32?] = [:]
    }

    static let capacity = 4096
    private let caches = Mutex(Caches())

    public init() {}

    /// The user name of `uid`, "" when unknown.
    public func user(_ uid: UInt32) -> String {
        if let cached = caches.withLock({ $0.users[uid] }) { return cached }
        // Looked up outside the lock: NSS may be slow (LDAP, …).
        let name = OwnerNames.lookUpUser(uid)
        caches.withLock { OwnerNames.insert(name, for: uid, into: &$0.users) }
        return name
    }

    /// The group name of `gid`, "" when unknown.
    public func group(_ gid: UInt32) -> String {
        if let cached = caches.withLock({ $0.groups[gid] }) { return cached }
        let name = OwnerNames.lookUpGroup(gid)
        caches.withLock { OwnerNames.insert(name, for: gid, into: &$0.groups) }
        return name
    }

    public func uid(named name: String) -> UInt32? {
        if let cached = caches.withLock({ $0.uids[name] }) { return cached }
        let uid = OwnerNames.lookUpUID(name)
        caches.withLock { OwnerNames.insert(uid, for: name, into: &$0.uids) }
        return uid
    }

    public func gid(named name: String) -> UInt32? {
        if let cached = caches.withLock({ $0.gids[name] }) { return cached }
        let gid = OwnerNames.lookUpGID(name)
        caches.withLock { OwnerNames.insert(gid, for: name, into: &$0.gids) }
        return gid
    }

    private static func insert<Key, Value>(_ value: Value, for key: Key, into cache: inout [Key: Value]) {
        if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
        cache[key] = value
    }

    // MARK: - The reentrant C lookups

    private static func lookUpUser(_ uid: UInt32) -> String {
        lookUp(passwd()) { entry, buffer, size, result in
            getpwuid_r(uid, &entry, buffer, size, &result)
        } extract: { String(cString: $0.pw_name) } ?? ""
    }

    private static func lookUpGroup(_ gid: UInt32) -> String {
        lookUp(Glibc.group()) { entry, buffer, size, result in
            getgrgid_r(gid, &entry, buffer, size, &result)
        } extract: { String(cString: $0.gr_name) } ?? ""
    }

    private static func lookUpUID(_ name: String) -> UInt32? {
        guard !name.isEmpty, !name.utf8.contains(0) else { return nil }
        return lookUp(passwd()) { entry, buffer, size, result in
            getpwnam_r(name, &entry, buffer, size, &result)
        } extract: { $0.pw_uid }
    }

    private static func lookUpGID(_ name: String) -> UInt32? {
        guard !name.isEmpty, !name.utf8.contains(0) else { return nil }
        return lookUp(Glibc.group()) { entry, buffer, size, result in
            getgrnam_r(name, &entry, buffer, size, &result)
        } extract: { $0.gr_gid }
    }

    /// Calls a `get*_r` function with a buffer that grows on ERANGE, and
    /// extracts the answer while the buffer (which the entry points into) lives.
    private static func lookUp<Entry, Answer>(
        _ initial: Entry,
        call: (inout Entry, UnsafeMutablePointer<CChar>, Int, inout UnsafeMutablePointer<Entry>?) -> Int32,
        extract: (Entry) -> Answer
    ) -> Answer? {
        var size = 1024
        while size <= 1 << 20 {
            var entry = initial
            var result: UnsafeMutablePointer<Entry>?
            var buffer = [CChar](repeating: 0, count: size)
            let (code, answer): (Int32, Answer?) = buffer.withUnsafeMutableBufferPointer { storage in
                guard let base = storage.baseAddress else { return (EINVAL, nil) }
                let code = call(&entry, base, storage.count, &result)
                guard code == 0, result != nil else { return (code, nil) }
                return (0, extract(entry))
            }
            if code == ERANGE { size *= 2; continue }
            if code == EINTR { continue }
            return answer
        }
        return nil
    }
}
