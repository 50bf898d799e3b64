import Foundation
import TesseraCore

/// The made-up folders over the repository's snapshots, as cli.md "The
/// mounted tree" fixes them: `snapshots/<time>` with `latest`, `ids/<short
/// id>`, `hosts/<host>/<time>`, `tags/<tag>/<time>`. Rebuilt from the
/// snapshot list whenever it changes; its size follows the number of
/// snapshots, not of files.
struct SnapshotLayout: Sendable {
    struct Snapshot: Sendable {
        var id: ID
        var record: TesseraCore.Snapshot
    }

    /// One folder's entries by name, sorted.
    struct Listing: Sendable {
        let entries: [(name: [UInt8], item: MountedItem)]
        private let byName: [[UInt8]: MountedItem]

        init(entries: [(name: [UInt8], item: MountedItem)]) {
            self.entries = entries
            byName = Dictionary(entries.map { ($0.name, $0.item) }, uniquingKeysWith: { first, _ in first })
        }

        func item(named name: [UInt8]) -> MountedItem? { byName[name] }
    }

    let snapshots: [Snapshot]
    /// When the list was read; a failed refresh moves it on, to wait another interval.
    var built: Date
    /// When the list last changed: the made-up folders' modification time,
    /// which tells the kernel to drop the listings it cached.
    private(set) var changed: Date
    private var listings: [VirtualFolder: Listing] = [:]

    init(snapshots unsorted: [(id: ID, snapshot: TesseraCore.Snapshot)], built: Date = Date()) {
        let sorted = unsorted.sorted { ($0.snapshot.time, $0.id.hex) < ($1.snapshot.time, $1.id.hex) }
        snapshots = sorted.map { Snapshot(id: $0.id, record: $0.snapshot) }
        self.built = built
        changed = built
        let newest = snapshots.last?.record.time ?? built

        let byTime = Self.timeNamed(snapshots)
        var top = byTime
        if let latest = byTime.last { top.append((Array("latest".utf8), .virtualLink(target: latest.name, time: newest))) }
        listings[.snapshots] = Listing(entries: top.sorted { $0.name.lexicographicallyPrecedes($1.name) })
        listings[.ids] = Listing(entries: Self.idNamed(snapshots))

        let hosts = Dictionary(grouping: snapshots) { Self.folderName($0.record.host) }
        listings[.hosts] = Listing(entries: hosts.keys.sorted().map { (Array($0.utf8), .virtualFolder(.host($0))) })
        for (host, members) in hosts { listings[.host(host)] = Listing(entries: Self.timeNamed(members)) }

        var tagged = [String: [Snapshot]]()
        for snapshot in snapshots {
            for tag in Set(snapshot.record.tags.map(Self.folderName)) { tagged[tag, default: []].append(snapshot) }
        }
        listings[.tags] = Listing(entries: tagged.keys.sorted().map { (Array($0.utf8), .virtualFolder(.tag($0))) })
        for (tag, members) in tagged { listings[.tag(tag)] = Listing(entries: Self.timeNamed(members)) }

        listings[.root] = Listing(entries: ["hosts", "ids", "snapshots", "tags"].map { name in
            let folder: VirtualFolder = switch name {
            case "hosts": .hosts
            case "ids": .ids
            case "snapshots": .snapshots
            default: .tags
            }
            return (Array(name.utf8), .virtualFolder(folder))
        })
    }

    /// This layout, rebuilt from a fresh snapshot list; `changed` moves only
    /// when the snapshots did.
    func refreshed(with unsorted: [(id: ID, snapshot: TesseraCore.Snapshot)]) -> SnapshotLayout {
        var fresh = SnapshotLayout(snapshots: unsorted)
        if fresh.snapshots.map(\.id) == snapshots.map(\.id) { fresh.changed = changed }
        return fresh
    }

    /// The listing of a virtual folder; nil when it no longer exists (a host
    /// whose snapshots were all forgotten).
    func listing(_ folder: VirtualFolder) -> Listing? { listings[folder] }

    /// Local time to the second, as cli.md fixes it; `-1`, `-2` on collisions,
    /// in id order within one second so that names are stable.
    private static func timeNamed(_ snapshots: [Snapshot]) -> [(name: [UInt8], item: MountedItem)] {
        var used = [String: Int]()
        return snapshots.map { snapshot in
            let base = Timestamp.localSeconds(snapshot.record.time)
            let seen = used[base, default: 0]
            used[base] = seen + 1
            let name = seen == 0 ? base : "\(base)-\(seen)"
            return (Array(name.utf8), .snapshotRoot(id: snapshot.id, snapshot: snapshot.record))
        }
    }

    /// Eight hex digits, or the whole id for the (unlikely) ids sharing them.
    private static func idNamed(_ snapshots: [Snapshot]) -> [(name: [UInt8], item: MountedItem)] {
        let shortCounts = Dictionary(grouping: snapshots, by: { $0.id.short }).mapValues(\.count)
        return snapshots
            .map { snapshot in
                let name = shortCounts[snapshot.id.short] == 1 ? snapshot.id.short : snapshot.id.hex
                return (Array(name.utf8), MountedItem.snapshotRoot(id: snapshot.id, snapshot: snapshot.record))
            }
            .sorted { $0.0.lexicographicallyPrecedes($1.0) }
    }

    /// Host names and tags are free text: no `/`, no empty, `.` or `..` names.
    static func folderName(_ text: String) -> String {
        let cleaned = text.replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "\0", with: "_")
        return cleaned.isEmpty || cleaned == "." || cleaned == ".." ? "_" + cleaned : cleaned
    }
}
