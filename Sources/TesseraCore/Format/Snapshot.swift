import Foundation

/// `snapshots/<id>`: one backup, sealed. Everything in it is private (invariant 1).
public struct Snapshot: Codable, Sendable, Hashable {
    public static let currentVersion = 1

    public var version: Int
    public var time: Date
    public var host: String
    public var username: String
    /// The absolute paths given to `snapshot create`, as bytes (names need not be UTF-8).
    public var paths: [Data]
    public var tags: [String]
    /// The root tree: "/" with each backed-up path below it at its absolute place.
    public var tree: ID
    public var parent: ID?
    public var excludes: [String]
    public var summary: Summary?

    public struct Summary: Codable, Sendable, Hashable {
        public var filesNew: Int
        public var filesChanged: Int
        public var filesUnchanged: Int
        public var directories: Int
        public var bytesRead: UInt64
        public var bytesAdded: UInt64
        public var bytesStoredAdded: UInt64
        public var totalBytes: UInt64
        public var unreadable: Int
        public var started: Date
        public var finished: Date
    }

    public var pathStrings: [String] { paths.map { PathBytes.display([UInt8]($0)) } }

    public init(time: Date, host: String, username: String, paths: [[UInt8]], tags: [String], tree: ID, parent: ID?, excludes: [String], summary: Summary?) {
        self.version = Snapshot.currentVersion
        self.time = time
        self.host = host
        self.username = username
        self.paths = paths.map { Data($0) }
        self.tags = tags
        self.tree = tree
        self.parent = parent
        self.excludes = excludes
        self.summary = summary
    }

    private enum CodingKeys: String, CodingKey {
        case version, time, host, username, paths, tags, tree, parent, excludes, summary
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        guard version == Snapshot.currentVersion else {
            throw FormatError.unknownVersion(object: "snapshot", version: version)
        }
        time = try container.decode(Date.self, forKey: .time)
        host = try container.decode(String.self, forKey: .host)
        username = try container.decode(String.self, forKey: .username)
        paths = try container.decode([Data].self, forKey: .paths)
        tags = try container.decode([String].self, forKey: .tags)
        tree = try Self.decodeID(container, .tree)
        parent = try container.decodeIfPresent(String.self, forKey: .parent).map { text in
            guard let id = ID(hex: text) else { throw FormatError.malformed("parent id") }
            return id
        }
        excludes = try container.decode([String].self, forKey: .excludes)
        summary = try container.decodeIfPresent(Summary.self, forKey: .summary)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(time, forKey: .time)
        try container.encode(host, forKey: .host)
        try container.encode(username, forKey: .username)
        try container.encode(paths, forKey: .paths)
        try container.encode(tags, forKey: .tags)
        try container.encode(tree.hex, forKey: .tree)
        try container.encodeIfPresent(parent?.hex, forKey: .parent)
        try container.encode(excludes, forKey: .excludes)
        try container.encodeIfPresent(summary, forKey: .summary)
    }

    private static func decodeID(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> ID {
        guard let id = ID(hex: try container.decode(String.self, forKey: key)) else { throw FormatError.malformed("\(key.rawValue) id") }
        return id
    }
}
