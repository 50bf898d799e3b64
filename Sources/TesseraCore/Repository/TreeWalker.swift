import Foundation

/// Navigates and walks a snapshot's trees.
public struct TreeWalker: Sendable {
    public let repository: Repository

    public init(repository: Repository) { self.repository = repository }

    /// The node at an absolute path and the tree it lists (for a directory).
    /// For "/" the node is nil and the tree is the root. Nil when the path is not there.
    public func node(at path: [UInt8], root: ID) async throws -> (node: Node?, tree: ID)? {
        var tree = root
        var node: Node?
        for component in PathBytes.components(path) {
            if let current = node, current.type != .directory { return nil }
            guard let next = try await repository.loadTree(tree).node(named: component) else { return nil }
            node = next
            if let subtree = next.subtree { tree = subtree }
        }
        return (node, tree)
    }

    /// Calls `visit` for each entry of a tree in name order, depth-first when recursive.
    /// Trees are loaded one at a time, so memory stays bounded by the depth.
    public func walk(_ tree: ID, path: [UInt8], recursive: Bool, visit: (Node, [UInt8]) async throws -> Void) async throws {
        for node in try await repository.loadTree(tree).nodes {
            let nodePath = PathBytes.child(path, node.name)
            try await visit(node, nodePath)
            if recursive, node.type == .directory, let subtree = node.subtree {
                try await walk(subtree, path: nodePath, recursive: true, visit: visit)
            }
        }
    }
}
