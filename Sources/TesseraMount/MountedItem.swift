import Foundation
import TesseraCore

/// What an inode number stands for in the mounted tree.
enum MountedItem: Sendable {
    /// One of the folders Tessera makes up: the root, `snapshots/`, `hosts/<host>/`, ...
    case virtualFolder(VirtualFolder)
    /// `snapshots/latest`, pointing at the newest snapshot's folder name.
    case virtualLink(target: [UInt8], time: Date)
    /// A snapshot's folder: its root tree, shown as a directory.
    case snapshotRoot(id: ID, snapshot: Snapshot)
    /// An entry inside a snapshot. `snapshotRoot` scopes hardlink identity.
    case node(Node, snapshotRoot: UInt64)

    var isDirectory: Bool {
        switch self {
        case .virtualFolder, .snapshotRoot: true
        case .virtualLink: false
        case .node(let node, _): node.type == .directory
        }
    }

    /// Whether the item can change while mounted (the virtual folders follow
    /// new snapshots); everything inside a snapshot is immutable.
    var isVirtual: Bool {
        switch self {
        case .virtualFolder, .virtualLink: true
        case .snapshotRoot, .node: false
        }
    }
}

/// The made-up folders above the snapshots (cli.md "The mounted tree").
enum VirtualFolder: Hashable, Sendable {
    case root
    case snapshots
    case ids
    case hosts
    case host(String)
    case tags
    case tag(String)
}
