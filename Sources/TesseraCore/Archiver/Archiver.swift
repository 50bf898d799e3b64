import Foundation

/// Makes a snapshot: walks the source paths, stores new content and trees,
/// and writes the snapshot record last (invariant 5).
///
/// The pipeline (design.md "What fast means"):
/// - folders are scanned (names, lstat, xattrs) on `BlockingIOPool` threads,
///   and subfolders are walked in parallel while `folderSlots` allow;
/// - files are read, cut and hashed on I/O threads, up to `fileConcurrency`
///   at once (`largeFileConcurrency` of them over 1 MiB, whose chunker
///   buffers are large); an unchanged file is not read at all;
/// - each new chunk is compressed and sealed in a task (`chunkConcurrency`
///   at once; small chunks in their file's own task), then appended to a pack
///   by the `RepositoryWriter`, which uploads full packs with backpressure.
/// Every stage is bounded, so memory does not grow with the number or size
/// of files (invariant 8).
public struct Archiver: Sendable {
    public let repository: Repository
    public let options: BackupOptions
    public let statistics: BackupStatistics
    public let observer: any BackupObserver

    private let filter: ExcludeFilter
    private let names = OwnerNames()
    private let fileSlots: AsyncSemaphore
    private let largeFileSlots: AsyncSemaphore
    /// Subfolders walked in parallel (scans, parent-tree loads and tree encoding overlap).
    private let folderSlots: AsyncSemaphore
    private let chunkSlots: AsyncSemaphore
    private let trees: TreeRecorder

    public init(repository: Repository, options: BackupOptions, statistics: BackupStatistics, observer: any BackupObserver) throws {
        self.repository = repository
        self.options = options
        self.statistics = statistics
        self.observer = observer
        self.filter = try ExcludeFilter(patterns: options.excludePatterns)
        self.fileSlots = AsyncSemaphore(permits: options.fileConcurrency)
        self.largeFileSlots = AsyncSemaphore(permits: options.largeFileConcurrency)
        self.folderSlots = AsyncSemaphore(permits: options.folderConcurrency)
        self.chunkSlots = AsyncSemaphore(permits: options.chunkConcurrency)
        self.trees = TreeRecorder(index: repository.index)
    }

    public func run() async throws -> BackupResult {
        let started = Date()
        let parent = try await parentRoot()
        let writer = RepositoryWriter(repository: repository, dryRun: options.dryRun, maxUploads: options.maxUploads)
        let root: ID
        do {
            root = try await archiveSelection(SourceSelection(paths: options.paths), path: [PathBytes.slash], parent: parent, writer: writer)
            try await writer.flush()
            if !options.dryRun { try trees.flush() }
        } catch {
            await writer.cancel()
            throw error
        }
        let counters = statistics.snapshot
        let finished = Date()
        let summary = Snapshot.Summary(
            filesNew: counters.filesNew, filesChanged: counters.filesChanged, filesUnchanged: counters.filesUnchanged,
            directories: counters.directories, bytesRead: counters.bytesRead, bytesAdded: counters.bytesAdded,
            bytesStoredAdded: counters.bytesStored, totalBytes: counters.bytesDone, unreadable: counters.unreadable,
            started: started, finished: finished
        )
        let snapshot = Snapshot(
            time: options.time ?? started, host: options.host, username: SystemIdentity.userName,
            paths: options.paths, tags: options.tags, tree: root, parent: options.parent,
            excludes: options.excludePatterns, summary: summary
        )
        let id = options.dryRun ? nil : try await repository.saveSnapshot(snapshot)
        return BackupResult(snapshotID: id, snapshot: snapshot, counters: counters, duration: finished.timeIntervalSince(started))
    }

    private func parentRoot() async throws -> Tree? {
        guard let parent = options.parent else { return nil }
        let (_, snapshot) = try repository.resolveSnapshot(parent.hex)
        return try await repository.loadTree(snapshot.tree)
    }

    // MARK: Directories above the source paths

    /// Stores the tree of a directory on the way to the source paths: only the
    /// selected children, with the directory's own metadata.
    private func archiveSelection(_ selection: SourceSelection, path: [UInt8], parent: Tree?, parentID: ID? = nil, writer: RepositoryWriter) async throws -> ID {
        if selection.isTarget {
            let directory = try DirectoryHandle.open(path: path)
            return try await archiveDirectory(directory, path: path, parent: parent, parentID: parentID, device: try directory.status().device, writer: writer)
        }
        let directory = try DirectoryHandle.open(path: path)
        var nodes = [Node]()
        for (name, child) in selection.children {
            let childPath = PathBytes.join(path, name)
            let parentNode = parent?.node(named: name)
            var node: Node
            do {
                node = try directory.node(name, names: names)
            } catch {
                report(childPath, error)
                continue
            }
            if child.isTarget {
                if let archived = try await archiveEntry(node, in: directory, path: childPath, parentNode: parentNode, device: node.device, writer: writer) {
                    nodes.append(archived)
                }
                continue
            }
            if node.type != .directory {
                // A symlink on the way to a source path (`/home -> /data/home`): the snapshot
                // records the path as given, as a directory with the metadata of its target.
                do {
                    let status = try DirectoryHandle.open(path: childPath).status()
                    node = Node(name: name, type: .directory, mode: status.mode, uid: status.uid, gid: status.gid,
                                user: names.user(status.uid), group: names.group(status.gid),
                                mtime: status.mtime, ctime: status.ctime, atime: status.atime,
                                device: status.device, inode: status.inode, links: status.links)
                } catch {
                    report(childPath, error)
                    continue
                }
            }
            let parentTree = try await subtree(of: parentNode)
            node.subtree = try await archiveSelection(child, path: childPath, parent: parentTree, parentID: parentTree == nil ? nil : parentNode?.subtree, writer: writer)
            nodes.append(node)
        }
        return try await storeTree(Tree(nodes: nodes), writer: writer, parentID: parentID)
    }

    // MARK: The walk

    /// Archives one entry found in `directory`; nil when it is excluded or unreadable.
    private func archiveEntry(_ found: Node, in directory: DirectoryHandle, path: [UInt8], parentNode: Node?, device: UInt64, writer: RepositoryWriter) async throws -> Node? {
        var node = found
        switch node.type {
        case .directory:
            statistics.update { $0.directories += 1 }
            if options.oneFileSystem, node.device != device {
                // Another file system: keep the mount point, not what is mounted there.
                node.subtree = try await storeTree(Tree(nodes: []), writer: writer)
                return node
            }
            let child: DirectoryHandle
            do {
                child = try directory.openDirectory(node.name)
            } catch {
                report(path, error)
                return nil
            }
            if try isExcludedByMarker(child, path: path) { return nil }
            let parentTree = try await subtree(of: parentNode)
            node.subtree = try await archiveDirectory(child, path: path, parent: parentTree, parentID: parentTree == nil ? nil : parentNode?.subtree, device: device, writer: writer)
            return node
        case .file:
            if let unchanged = try unchangedFile(node, parentNode: parentNode) { return unchanged }
            return try await archiveFile(node, in: directory, path: path, parentNode: parentNode, writer: writer)
        default:
            statistics.update { $0.otherEntries += 1 }
            return node
        }
    }

    /// Lists a folder and reads every entry's metadata, on an I/O thread
    /// (these calls block on the disk when the inodes are not cached).
    private func scan(_ directory: DirectoryHandle, path: [UInt8], parent: Tree?) async throws -> [(name: [UInt8], node: Result<Node, any Error>)] {
        let filter = self.filter
        let names = self.names
        return try await BlockingIOPool.shared.run {
            try directory.entryNames().compactMap { name in
                if !filter.isEmpty, filter.excludes(path: PathBytes.join(path, name)) { return nil }
                return (name, Result { try directory.node(name, names: names, previous: parent?.node(named: name)) })
            }
        }
    }

    private func archiveDirectory(_ directory: DirectoryHandle, path: [UInt8], parent: Tree?, parentID: ID?, device: UInt64, writer: RepositoryWriter) async throws -> ID {
        let entries: [(name: [UInt8], node: Result<Node, any Error>)]
        do {
            entries = try await scan(directory, path: path, parent: parent)
        } catch {
            report(path, error)
            return try await storeTree(Tree(nodes: []), writer: writer)
        }
        let nodes = try await withThrowingTaskGroup(of: (Int, Node?).self) { group in
            var nodes = [Node?](repeating: nil, count: entries.count)
            var inFlight = 0
            for (position, (name, result)) in entries.enumerated() {
                let childPath = PathBytes.join(path, name)
                let found: Node
                do {
                    found = try result.get()
                } catch {
                    report(childPath, error)
                    continue
                }
                let parentNode = parent?.node(named: name)
                if found.type == .file {
                    if let unchanged = try unchangedFile(found, parentNode: parentNode) {
                        nodes[position] = unchanged
                        continue
                    }
                    // Read files concurrently while the walk goes on.
                    let slots = found.size > BackupOptions.largeFileSize ? largeFileSlots : fileSlots
                    await slots.acquire()
                    group.addTask {
                        defer { slots.release() }
                        return (position, try await archiveFile(found, in: directory, path: childPath, parentNode: parentNode, writer: writer))
                    }
                    inFlight += 1
                    // A group keeps finished tasks until their results are taken: take them as
                    // we go, or a folder of 10,000 files holds 10,000 finished tasks.
                    while inFlight > options.fileConcurrency, let (done, node) = try await group.next() {
                        nodes[done] = node
                        inFlight -= 1
                    }
                } else if found.type == .directory, folderSlots.tryAcquire() {
                    // Walk this subfolder in parallel while a slot is free; otherwise inline
                    // (never waiting for a slot, so a parent cannot deadlock on its children).
                    group.addTask {
                        defer { folderSlots.release() }
                        return (position, try await archiveEntry(found, in: directory, path: childPath, parentNode: parentNode, device: device, writer: writer))
                    }
                    inFlight += 1
                } else {
                    nodes[position] = try await archiveEntry(found, in: directory, path: childPath, parentNode: parentNode, device: device, writer: writer)
                }
            }
            for try await (position, node) in group { nodes[position] = node }
            return nodes.compactMap { $0 }
        }
        return try await storeTree(Tree(nodes: nodes), writer: writer, parentID: parentID)
    }

    /// The parent's content when the file did not change (same size, mtime,
    /// ctime and inode): then it is not read again.
    ///
    /// Its chunks need no lookup: a snapshot is written after the index files
    /// that name its blobs (invariant 5), and nothing removes blobs a snapshot
    /// still references; `check` reports the damage if something else did.
    private func unchangedFile(_ node: Node, parentNode: Node?) throws -> Node? {
        guard let old = parentNode, old.type == .file, old.size == node.size, old.mtime == node.mtime,
              old.ctime == node.ctime, old.inode == node.inode else { return nil }
        var reused = node
        reused.content = old.content
        statistics.update {
            $0.filesUnchanged += 1
            $0.filesDone += 1
            $0.bytesDone += node.size
        }
        return reused
    }

    /// Reads, chunks and stores one file. A file that cannot be read is reported and left out.
    /// Callers have checked `unchangedFile` first (before taking a file slot).
    private func archiveFile(_ found: Node, in directory: DirectoryHandle, path: [UInt8], parentNode: Node?, writer: RepositoryWriter) async throws -> Node? {
        statistics.update { $0.currentPath = PathBytes.display(path) }
        var node = found
        do {
            // Open, stat and read the first chunk in one trip to an I/O thread:
            // for most small files that is the whole file.
            let name = node.name
            let parameters = repository.config.chunkerParameters
            let gear = repository.gear
            let master = repository.master
            let opened = try await BlockingIOPool.shared.run { () -> (stream: FileContentStream, first: (Data, ID)?)? in
                let file = try directory.openFile(name)
                let status = try file.status()
                guard status.type == .file else { return nil }  // replaced by something else since the listing
                // Only a file with fewer blocks than its size can have holes; skip the probe for the rest.
                let size = status.size
                let regions = status.blocks * 512 >= size ? (size == 0 ? [] : [0..<size]) : try file.dataRegions(size: size)
                let stream = FileContentStream(file: file, regions: regions, size: size, parameters: parameters, gear: gear)
                return (stream, try stream.nextChunk().map { ($0, master.blobID(of: $0)) })
            }
            guard let opened else { return nil }
            node.content = try await storeContent(of: opened.stream, first: opened.first, writer: writer)
            node.size = node.content.reduce(0) { $0 + $1.length }
        } catch let error as FileSystemError {
            report(path, error)
            return nil
        }
        statistics.update {
            if parentNode?.type == .file { $0.filesChanged += 1 } else { $0.filesNew += 1 }
            $0.filesDone += 1
        }
        return node
    }

    /// Stores a file's chunks as the stream yields them and returns its content
    /// list. Large chunks are compressed and sealed in parallel tasks.
    private func storeContent(of stream: FileContentStream, first: (Data, ID)?, writer: RepositoryWriter) async throws -> [ContentPiece] {
        let master = repository.master
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            var next = first
            while let (chunk, id) = next {
                stream.record(id: id, length: chunk.count)
                statistics.update {
                    $0.bytesRead += UInt64(chunk.count)
                    $0.bytesDone += UInt64(chunk.count)
                }
                if chunk.count < Self.inlineChunkLimit {
                    // Small chunks (most small files) are stored in this file's task: files already
                    // run in parallel, and a task per small chunk costs more than it saves.
                    try await storeChunk(chunk, id: id, writer: writer)
                } else {
                    await chunkSlots.acquire()
                    group.addTask {
                        defer { chunkSlots.release() }
                        try await storeChunk(chunk, id: id, writer: writer)
                    }
                    inFlight += 1
                    while inFlight > options.chunkConcurrency, try await group.next() != nil { inFlight -= 1 }
                }
                // Reading, cutting and hashing block on the disk: they run on an I/O thread.
                next = stream.isAtEnd ? nil : try await BlockingIOPool.shared.run { try stream.nextChunk().map { ($0, master.blobID(of: $0)) } }
            }
            try await group.waitForAll()
        }
        return stream.finish()
    }

    static let inlineChunkLimit = 256 << 10

    private func storeChunk(_ chunk: Data, id: ID, writer: RepositoryWriter) async throws {
        let stored = try await writer.store(type: .data, id: id, plaintext: chunk)
        if stored > 0 {
            statistics.update {
                $0.bytesAdded += UInt64(chunk.count)
                $0.bytesStored += UInt64(stored)
                $0.blobsAdded += 1
            }
        }
    }

    /// Stores a folder's tree. When it equals the parent snapshot's (`parentID`,
    /// which was loaded, so it is stored and in the local index) nothing is done.
    private func storeTree(_ tree: Tree, writer: RepositoryWriter, parentID: ID? = nil) async throws -> ID {
        let plaintext = tree.encode()
        let id = repository.master.blobID(of: plaintext)
        if id == parentID { return id }
        if !options.dryRun { try trees.record(id, plaintext: plaintext) }
        let stored = try await writer.store(type: .tree, id: id, plaintext: plaintext)
        if stored > 0 {
            statistics.update {
                $0.bytesStored += UInt64(stored)
                $0.blobsAdded += 1
            }
        }
        return id
    }

    private func subtree(of node: Node?) async throws -> Tree? {
        guard let node, node.type == .directory, let id = node.subtree else { return nil }
        // A parent tree that cannot be read only costs re-reading files.
        return try? await repository.loadTree(id)
    }

    /// `--exclude-if-present NAME` and `--exclude-caches` (a CACHEDIR.TAG with the standard signature).
    private func isExcludedByMarker(_ directory: DirectoryHandle, path: [UInt8]) throws -> Bool {
        guard options.excludeCaches || !options.excludeIfPresent.isEmpty else { return false }
        for marker in options.excludeIfPresent where (try? directory.status(Array(marker.utf8))) != nil {
            return true
        }
        if options.excludeCaches, let file = try? directory.openFile(Array("CACHEDIR.TAG".utf8)) {
            let signature = Array("Signature: 8a477f597d28d172789f06886806bc55".utf8)
            var header = [UInt8](repeating: 0, count: signature.count)
            let got = (try? header.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }) ?? 0
            if got == signature.count, header == signature { return true }
        }
        return false
    }

    private func report(_ path: [UInt8], _ error: Error) {
        statistics.update { $0.unreadable += 1 }
        observer.unreadable(path: PathBytes.display(path), reason: "\(error)")
    }
}

/// The source paths as a tree of names from "/", so that the snapshot holds
/// each path at its absolute place (as restic does).
struct SourceSelection: Sendable {
    var isTarget = false
    var children: [(name: [UInt8], selection: SourceSelection)] = []

    init() {}

    init(paths: [[UInt8]]) {
        for path in paths { insert(PathBytes.components(path)[...]) }
    }

    private mutating func insert(_ components: ArraySlice<[UInt8]>) {
        guard let first = components.first else {
            isTarget = true
            return
        }
        if let index = children.firstIndex(where: { $0.name == first }) {
            children[index].selection.insert(components.dropFirst())
        } else {
            var child = SourceSelection()
            child.insert(components.dropFirst())
            children.append((first, child))
            children.sort { $0.name.lexicographicallyPrecedes($1.name) }
        }
    }
}

