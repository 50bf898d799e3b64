import Foundation

/// Finds entries by name across snapshots (`tessera find`), as restic's
/// `find` does: every snapshot's trees are walked, one tree at a time, and
/// names are matched against glob patterns (`*`, `?`, `[...]`).
public struct SnapshotFinder: Sendable {
    public struct Match: Sendable {
        public var snapshot: ID
        public var path: [UInt8]
        public var node: Node
    }

    public let repository: Repository
    private let filter: ExcludeFilter

    /// `patterns` match a name (no `/`) or, with a `/`, a path as `--exclude` does.
    public init(repository: Repository, patterns: [String]) throws {
        self.repository = repository
        self.filter = try ExcludeFilter(patterns: patterns)
    }

    /// Calls `found` for each match, snapshot by snapshot (oldest first).
    public func find(in snapshots: [(id: ID, snapshot: Snapshot)], found: (Match) async throws -> Void) async throws {
        let walker = TreeWalker(repository: repository)
        for (id, snapshot) in snapshots {
            try await walker.walk(snapshot.tree, path: [], recursive: true) { node, path in
                // Match the entry itself, not an ancestor: a matching folder is listed once.
                if filter.matches(path: path) { try await found(Match(snapshot: id, path: path, node: node)) }
            }
        }
    }
}
