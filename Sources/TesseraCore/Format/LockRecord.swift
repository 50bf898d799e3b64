import Foundation

/// `locks/<id>`: who is using the repository, sealed.
///
/// Shared locks (backup, restore, check) coexist; an exclusive lock (prune,
/// unlock of others, key changes that rewrite) excludes every other lock.
/// A holder refreshes its lock by writing a new one and deleting the old,
/// since objects are never modified in place.
public struct LockRecord: Codable, Sendable, Hashable {
    public static let currentVersion = 1
    /// A lock not refreshed for this long is stale.
    public static let staleAfter: TimeInterval = 30 * 60
    public static let refreshEvery: TimeInterval = 5 * 60

    public var version: Int
    public var exclusive: Bool
    public var time: Date
    public var host: String
    public var username: String
    public var pid: Int32
    public var command: String

    public init(exclusive: Bool, time: Date, host: String, username: String, pid: Int32, command: String) {
        self.version = LockRecord.currentVersion
        self.exclusive = exclusive
        self.time = time
        self.host = host
        self.username = username
        self.pid = pid
        self.command = command
    }

    /// Stale when not refreshed in time, or when it was taken on this host by a process that no longer exists.
    public func isStale(now: Date, localHost: String) -> Bool {
        if now.timeIntervalSince(time) > LockRecord.staleAfter { return true }
        if host == localHost, kill(pid, 0) != 0, errno == ESRCH { return true }
        return false
    }

    public var summary: String {
        "\(exclusive ? "exclusive" : "shared") lock held by \(command) (pid \(pid)) on \(host) since \(Timestamp.format(time))"
    }
}
