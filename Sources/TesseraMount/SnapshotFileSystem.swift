import Foundation
import Logging
import Synchronization
import TesseraCore

/// The mounted tree in Swift terms: inode numbers, attributes, listings and
/// reads over a repository. `FuseBridge` turns kernel requests into calls
/// here and the results into replies.
final class SnapshotFileSystem: Sendable {
    let repository: Repository
    let inodes = InodeTable()
    let attributes: AttributeBuilder
    private let options: MountOptions
    private let store: BlobStore
    private let logger: Logger
    private let trees: Mutex<LRUCache<ID, Tree>>
    private let treeLoads = Mutex<[ID: Task<Tree, any Error>]>([:])
    private static let treeCacheEntries = 20_000
    /// Loads the trees below listed folders ahead of the walk (a quarter of the tree cache at most).
    private let prefetch: TreePrefetch
    private let layout: Mutex<SnapshotLayout>
    private let refresh = Mutex<Task<Void, Never>?>(nil)
    private let readers = Mutex(LRUCache<UInt64, OpenFileReader>(capacity: 256))
    /// Where decoded file contents go ahead of readers; the mount attaches its session.
    let kernel = KernelPageCache()
    /// Whether listings give the kernel inodes for files (see ListingWalk).
    let walk = ListingWalk()
    /// Read-ahead runs through folders being copied, the most recent first.
    private let feeds = Mutex<[FolderFeed]>([])
    static let maximumFeeds = 4
    private let repositoryTotals = Mutex<(computed: Date, totals: LocalIndex.Totals)?>(nil)

    /// How long the kernel may keep entries and attributes: inside a snapshot
    /// nothing ever changes; the virtual folders follow new snapshots.
    static let immutableTimeout: Double = 24 * 3600
    static let virtualTimeout: Double = 1

    init(repository: Repository, options: MountOptions, owner: (uid: UInt32, gid: UInt32)) throws {
        self.repository = repository
        self.options = options
        self.logger = repository.logger
        var disk: SealedBlobDiskCache?
        if options.diskCacheBytes > 0, let folder = options.diskCacheFolder {
            disk = try SealedBlobDiskCache(folder: folder, capacity: options.diskCacheBytes)
        }
        store = BlobStore(repository: repository, memoryCapacity: options.memoryCacheBytes, disk: disk, parallelLoads: options.parallelLoads)
        // Trees are costed by their entries (a few hundred bytes each decoded):
        // the kernel caches entries it was given, so this serves mostly the
        // folders being listed right now: 20,000 entries, a few MiB.
        trees = Mutex(LRUCache(capacity: Self.treeCacheEntries))
        prefetch = TreePrefetch(budget: Self.treeCacheEntries / 4)
        attributes = AttributeBuilder(owner: owner)
        layout = Mutex(SnapshotLayout(snapshots: try repository.snapshots()))
        repository.index.prefetchIntoPageCache()
    }

    static func timeout(for item: MountedItem) -> Double { item.isVirtual ? virtualTimeout : immutableTimeout }

    // MARK: Lookups and listings

    func lookUp(parent: UInt64, name: [UInt8]) async throws -> (number: UInt64, attributes: stat, item: MountedItem) {
        guard let entry = inodes.entry(parent) else { throw MountError.notFound }
        guard let (item, position) = try await child(named: name, of: entry.item, number: parent) else { throw MountError.notFound }
        if !item.isDirectory { walk.fileUsed() }
        let number = inodes.lookUp(item, parent: parent, name: name, position: position)
        return (number, attributes(of: item, number: number), item)
    }

    func attributes(of number: UInt64) -> (stat, MountedItem)? {
        guard let entry = inodes.entry(number) else { return nil }
        return (attributes(of: entry.item, number: number), entry.item)
    }

    func attributes(of item: MountedItem, number: UInt64) -> stat {
        attributes.attributes(of: item, number: number, listingsChanged: layout.withLock { $0.changed })
    }

    /// Whether answering for `number` waits for a fresh snapshot list: a
    /// made-up folder's modification time tells the kernel whether the
    /// listing it cached still holds.
    func attributesNeedRefresh(_ number: UInt64) -> Bool {
        guard case .virtualFolder? = inodes.entry(number)?.item else { return false }
        return layoutIsStale
    }

    func attributesAfterRefresh(of number: UInt64) async -> (stat, MountedItem)? {
        await refreshIfStale()
        return attributes(of: number)
    }

    /// Where a folder's entries come from: the snapshot list for a made-up
    /// folder, a tree for a folder of a snapshot.
    private enum FolderSource {
        case virtual(VirtualFolder)
        case tree(ID, snapshotRoot: UInt64)
    }

    private func source(of item: MountedItem, number: UInt64) throws -> FolderSource {
        switch item {
        case .virtualFolder(let folder):
            return .virtual(folder)
        case .snapshotRoot(_, let snapshot):
            return .tree(snapshot.tree, snapshotRoot: number)
        case .node(let node, let snapshotRoot):
            guard node.type == .directory, let subtree = node.subtree else { throw MountError.notADirectory }
            return .tree(subtree, snapshotRoot: snapshotRoot)
        case .virtualLink:
            throw MountError.notADirectory
        }
    }

    /// The entry called `name`, with its place in the listing when the folder is a snapshot's.
    private func child(named name: [UInt8], of item: MountedItem, number: UInt64) async throws -> (MountedItem, position: Int?)? {
        switch try source(of: item, number: number) {
        case .virtual(let folder):
            await refreshIfStale()
            return layout.withLock { $0.listing(folder)?.item(named: name) }.map { ($0, nil) }
        case .tree(let id, let snapshotRoot):
            let tree = try await tree(id)
            return tree.index(of: name).map { (.node(tree.nodes[$0], snapshotRoot: snapshotRoot), $0) }
        }
    }

    /// Where the entries of folder `number` come from.
    private func folderSource(_ number: UInt64) throws -> FolderSource {
        guard let entry = inodes.entry(number) else { throw MountError.notFound }
        return try source(of: entry.item, number: number)
    }

    /// A folder's entries when they are at hand: a made-up folder's from a
    /// snapshot list fresh enough (or a listing already begun), a snapshot
    /// folder's from a tree in memory. Nil when they must be loaded first
    /// (`entries(of:)`): a listing is answered on the request's own thread
    /// whenever it can be.
    func entriesAtHand(of number: UInt64, offset: Int) throws -> FolderEntries? {
        switch try folderSource(number) {
        case .virtual(let folder):
            return offset > 0 || !layoutIsStale ? try entries(of: folder) : nil
        case .tree(let id, let snapshotRoot):
            return trees.withLock { $0.value(for: id) }.map { .tree($0, id: id, snapshotRoot: snapshotRoot) }
        }
    }

    /// A folder's entries, loading its tree or refreshing the snapshot list as needed.
    func entries(of number: UInt64) async throws -> FolderEntries {
        switch try folderSource(number) {
        case .virtual(let folder):
            await refreshIfStale()
            return try entries(of: folder)
        case .tree(let id, let snapshotRoot):
            return .tree(try await tree(id), id: id, snapshotRoot: snapshotRoot)
        }
    }

    private func entries(of folder: VirtualFolder) throws -> FolderEntries {
        guard let listing = layout.withLock({ $0.listing(folder) }) else { throw MountError.notFound }
        return .virtual(listing.entries)
    }

    /// A tree from memory, or loaded once however many ask for it at the same time.
    private func tree(_ id: ID) async throws -> Tree {
        if let cached = trees.withLock({ $0.value(for: id) }) { return cached }
        let load = treeLoads.withLock { loads -> Task<Tree, any Error> in
            if let running = loads[id] { return running }
            let task = Task { try await self.loadTree(id) }
            loads[id] = task
            return task
        }
        return try await load.value
    }

    private func loadTree(_ id: ID) async throws -> Tree {
        defer { _ = treeLoads.withLock { $0.removeValue(forKey: id) } }
        do {
            let tree = try await repository.loadTree(id)
            trees.withLock { _ = $0.insert(tree, for: id, cost: max(tree.nodes.count, 1)) }
            return tree
        } catch {
            logger.error("cannot read folder listing \(id.short): \(error)")
            throw MountError.io
        }
    }

    /// A folder's listing began: the walk counts it, and the trees below it are likely next.
    func listingBegan(_ entries: FolderEntries) {
        walk.folderListed()
        guard case .tree(let folder, let id, _) = entries else { return }
        prefetch.listed(folder, id: id) { [self] id in
            guard !trees.withLock({ $0.contains(id) }) else { return nil }
            return try? await tree(id)
        }
    }

    // MARK: Snapshot list

    /// Whether the snapshot list is older than the refresh interval.
    private var layoutIsStale: Bool {
        Date().timeIntervalSince(layout.withLock { $0.built }) > options.refreshInterval
    }

    /// Brings the snapshot list up to date when it is stale; concurrent
    /// callers share one refresh.
    private func refreshIfStale() async {
        guard layoutIsStale else { return }
        let task = refresh.withLock { running -> Task<Void, Never> in
            if let running { return running }
            let task = Task {
                do {
                    try await repository.synchronizeIndexAndSnapshots()
                    let snapshots = try repository.snapshots()
                    layout.withLock { $0 = $0.refreshed(with: snapshots) }
                } catch {
                    logger.warning("cannot refresh the snapshot list: \(error)")
                    // Keep the old list; try again after another interval.
                    layout.withLock { $0.built = Date() }
                }
                refresh.withLock { $0 = nil }
            }
            running = task
            return task
        }
        await task.value
    }

    // MARK: Files

    /// Whether the kernel skips FUSE_OPEN and FUSE_RELEASE for files (set at
    /// init when it can): a file copy then costs two round trips fewer.
    let opensSkipped = Atomic<Bool>(false)
    /// The same for folders (FUSE_OPENDIR and FUSE_RELEASEDIR).
    let folderOpensSkipped = Atomic<Bool>(false)

    /// The reader of a file, by inode: opens need no handle of their own, so
    /// the kernel may skip them. A small LRU keeps the readers (each with
    /// its file's piece offsets) of files being read.
    private func reader(for number: UInt64) throws -> OpenFileReader {
        if let reader = readers.withLock({ $0.value(for: number) }) { return reader }
        guard let entry = inodes.entry(number) else { throw MountError.notFound }
        guard case .node(let node, _) = entry.item, node.type == .file else {
            throw entry.item.isDirectory ? MountError(code: EISDIR) : MountError.invalid
        }
        let reader = OpenFileReader(number: number, node: node, store: store)
        readers.withLock { _ = $0.insert(reader, for: number, cost: 1) }
        return reader
    }

    /// Checks that `number` is a file that can be read.
    func openFile(_ number: UInt64) throws { _ = try reader(for: number) }

    // MARK: Read-ahead across files

    /// A read the kernel had to ask for: it moves the folder's feed along, or
    /// starts one when a file is read from its start. Only from a listing
    /// already in memory (the read's own lookup loaded it).
    func noteRead(_ number: UInt64, offset: UInt64, length: Int) {
        walk.fileUsed()
        guard options.readAheadBytes > 0, let entry = inodes.entry(number) else { return }
        if let feed = feed(for: entry.parent) {
            if let position = feed.entry(named: entry.name) { feed.reading(entry: position, offset: offset, length: length) }
            return
        }
        guard offset == 0, case .tree(let treeID, let snapshotRoot)? = try? folderSource(entry.parent),
              let tree = trees.withLock({ $0.value(for: treeID) }), let position = tree.index(of: entry.name)
        else { return }
        let feed = FolderFeed(folder: entry.parent, tree: tree, snapshotRoot: snapshotRoot, store: store, kernel: kernel,
                              inodes: inodes, maximumBudget: options.readAheadBytes, entry: position, offset: offset)
        let (started, evicted) = feeds.withLock { list -> (Bool, FolderFeed?) in
            guard !list.contains(where: { $0.folder == entry.parent }) else { return (false, nil) }
            list.insert(feed, at: 0)
            return (true, list.count > Self.maximumFeeds ? list.removeLast() : nil)
        }
        evicted?.stop()
        if started { Task { await feed.run() } }
    }

    /// A file's extended attributes were asked for: a copy does that for
    /// each file once it has its contents, so the folder's feed moves on.
    func noteTouched(_ number: UInt64) {
        walk.fileUsed()
        guard let entry = inodes.entry(number), let feed = feed(for: entry.parent),
              let position = feed.entry(named: entry.name) else { return }
        feed.touched(entry: position)
    }

    /// The feed running through `folder`, made the most recent.
    private func feed(for folder: UInt64) -> FolderFeed? {
        feeds.withLock { list in
            guard let index = list.firstIndex(where: { $0.folder == folder }) else { return nil }
            let feed = list[index]
            if index > 0 { list.remove(at: index); list.insert(feed, at: 0) }
            return feed
        }
    }

    /// Ends every feed (the mount is going away).
    func stopFeeds() {
        feeds.withLock { list in
            defer { list.removeAll() }
            return list
        }.forEach { $0.stop() }
    }

    /// A read answered from memory, or nil when it must wait for a load.
    func readFromMemory(_ number: UInt64, offset: UInt64, length: Int) throws -> Data? {
        try reader(for: number).readFromMemory(offset: offset, length: length)
    }

    func read(_ number: UInt64, offset: UInt64, length: Int) async throws -> Data {
        let reader = try reader(for: number)
        do {
            return try await reader.read(offset: offset, length: length)
        } catch {
            // One failed read, one log line naming the file; the mount goes on.
            logger.error("cannot read \(inodes.path(of: reader.number)) at offset \(offset): \(error)")
            throw MountError.io
        }
    }

    // MARK: Links, attributes, sizes

    func linkTarget(_ number: UInt64) throws -> [UInt8] {
        walk.fileUsed()
        guard let entry = inodes.entry(number) else { throw MountError.notFound }
        switch entry.item {
        case .virtualLink(let target, _): return target
        case .node(let node, _) where node.type == .symlink: return node.linkTarget
        default: throw MountError.invalid
        }
    }

    /// An entry's extended attributes.
    func extendedAttributes(_ number: UInt64) throws -> [ExtendedAttribute] {
        guard let entry = inodes.entry(number) else { throw MountError.notFound }
        if case .node(let node, _) = entry.item { return node.xattrs }
        return []
    }

    /// The repository's totals, recomputed at most every 10 seconds (`df` and
    /// file managers ask often).
    func totals() throws -> LocalIndex.Totals {
        if let cached = repositoryTotals.withLock({ $0 }), Date().timeIntervalSince(cached.computed) < 10 { return cached.totals }
        let totals = try repository.index.totals()
        repositoryTotals.withLock { $0 = (Date(), totals) }
        return totals
    }

    var statistics: MountStatistics {
        var statistics = store.statistics
        statistics.bytesReadAhead = kernel.bytesStored
        statistics.filesListedWithoutInode = walk.filesListedWithoutInode
        return statistics
    }
}
