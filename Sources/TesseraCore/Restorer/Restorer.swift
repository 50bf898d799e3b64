import Foundation
import Synchronization

/// Restores a snapshot (or part of one) into a folder.
///
/// The walk creates every entry first; file content follows in batches, pack
/// by pack (`ContentWriter`), so each pack is read once per batch however
/// many files share it. A batch ends when it holds `maxBatchFiles` files or
/// as many folders as descriptors allow; then its files get their content
/// and metadata, and its folders their metadata, contents first.
///
/// Every entry is created relative to an open directory descriptor, never
/// following symlinks, with names checked first: a hostile snapshot (names
/// like `..`, or a symlink restored earlier that points elsewhere) cannot make
/// the restore write outside the target. Directories get their metadata after
/// their contents, so their times stay as stored.
public final class Restorer: Sendable {
    public let repository: Repository
    public let options: RestoreOptions
    public let observer: any RestoreObserver

    private let includeFilter: ExcludeFilter
    private let excludeFilter: ExcludeFilter
    private let names = OwnerNames()
    private let report = Mutex(RestoreReport())
    private let batch = Mutex(Batch())
    private let batchGate = AsyncSemaphore(permits: 1)
    private let folderSlots: AsyncSemaphore
    /// Folders a batch may hold open (each pending entry holds its folder's descriptor).
    private let maxBatchFolders = Restorer.folderBudget()
    /// First restored path (relative to the target) of each hardlinked file, by (device, inode).
    private let hardlinks = Mutex<[HardlinkKey: [UInt8]]>([:])

    struct HardlinkKey: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    /// Entries created whose content or metadata is still to come.
    private struct Batch {
        var files: [PendingFile] = []
        /// Folders whose entries all exist, in the order they were finished
        /// (children before parents): their metadata goes on after the content.
        var folders: [(directory: DirectoryHandle, node: Node, path: [UInt8])] = []
        var foldersOpened = 0
    }

    public init(repository: Repository, options: RestoreOptions, observer: any RestoreObserver) throws {
        self.repository = repository
        self.options = options
        self.observer = observer
        self.includeFilter = try ExcludeFilter(patterns: options.includes)
        self.excludeFilter = try ExcludeFilter(patterns: options.excludes)
        self.folderSlots = AsyncSemaphore(permits: options.folderConcurrency)
    }

    /// What has been restored so far, for a progress display.
    public var progress: RestoreReport { report.withLock { $0 } }

    public func run(snapshot: Snapshot) async throws -> RestoreReport {
        let start = try await startingPoint(snapshot: snapshot)
        if !options.dryRun, let reason = PathCreation.makeDirectories(options.target) {
            throw TesseraError.invalidArgument("cannot create the restore target \(options.target): \(reason)")
        }
        let target = options.dryRun ? nil : try DirectoryHandle.open(path: Array(options.target.utf8))
        let context = Context(directory: target, relative: [], snapshotPath: start.path)
        if let node = start.node, node.type != .directory {
            // A single file or link: restored into the target under its own name.
            _ = try await restoreEntry(node, in: context, parentPath: parentOf(start.path))
        } else {
            _ = try await restoreTree(start.tree, in: context)
        }
        try await finishBatch(onlyIfFull: false)
        return report.withLock { $0 }
    }

    /// Where the restore starts: the tree (or single node) at `options.subpath`.
    private func startingPoint(snapshot: Snapshot) async throws -> (tree: ID, node: Node?, path: [UInt8]) {
        var tree = snapshot.tree
        var node: Node?
        var path: [UInt8] = []
        for component in PathBytes.components(options.subpath) {
            let belowNonDirectory = node.map { $0.type != .directory } ?? false
            let listing = try await repository.loadTree(tree)
            guard !belowNonDirectory, let next = listing.node(named: component) else {
                throw TesseraError.invalidArgument("\(PathBytes.display(options.subpath)) is not in the snapshot; `tessera ls` shows what is")
            }
            path = PathBytes.child(path, component)
            node = next
            if let subtree = next.subtree { tree = subtree }
        }
        return (tree, node, path)
    }

    private func parentOf(_ path: [UInt8]) -> [UInt8] {
        guard let last = path.lastIndex(of: PathBytes.slash) else { return [] }
        return Array(path[..<last])
    }

    /// Where the walk is: the open directory (nil in a dry run), the path below
    /// the target, and the path inside the snapshot (for filters and messages).
    struct Context: Sendable {
        var directory: DirectoryHandle?
        var relative: [UInt8]
        var snapshotPath: [UInt8]
    }

    /// Restores a tree's entries into `context.directory`. Returns whether anything was restored.
    private func restoreTree(_ id: ID, in context: Context) async throws -> Bool {
        let tree: Tree
        do {
            tree = try await repository.loadTree(id)
        } catch let error as TesseraError {
            problem(context.snapshotPath, "directory listing unreadable: \(error)")
            return false
        }
        return try await withThrowingTaskGroup(of: Bool.self) { group in
            var restoredAny = false
            for node in tree.nodes {
                guard node.hasSafeName else {
                    problem(PathBytes.child(context.snapshotPath, node.name), "unsafe name in snapshot, not restored")
                    continue
                }
                // Subfolders go in parallel while a slot is free (creating a file
                // holds its folder's lock in the kernel, so only other folders
                // can go at the same time); otherwise, here and now.
                if node.type == .directory, folderSlots.tryAcquire() {
                    group.addTask { [self] in
                        defer { folderSlots.release() }
                        return try await restoreEntry(node, in: context, parentPath: context.snapshotPath)
                    }
                } else if try await restoreEntry(node, in: context, parentPath: context.snapshotPath) {
                    restoredAny = true
                }
                if batchIsFull() { try await finishBatch(onlyIfFull: true) }
            }
            for try await restored in group where restored { restoredAny = true }
            return restoredAny
        }
    }

    private func isSelected(_ path: [UInt8]) -> Bool {
        if !excludeFilter.isEmpty, excludeFilter.excludes(path: path) { return false }
        return includeFilter.isEmpty || includeFilter.excludes(path: path)
    }

    /// Whether a directory may hold selected entries (with includes, any directory may).
    private func mayContainSelection(_ path: [UInt8]) -> Bool {
        !(!excludeFilter.isEmpty && excludeFilter.excludes(path: path))
    }

    private func restoreEntry(_ node: Node, in context: Context, parentPath: [UInt8]) async throws -> Bool {
        let path = PathBytes.child(parentPath, node.name)
        let relative = PathBytes.join(context.relative, node.name)
        if node.type == .directory {
            guard mayContainSelection(path) else { return false }
        } else if !isSelected(path) {
            return false
        }
        guard let directory = context.directory else {
            // Dry run: say what would happen.
            if node.type == .directory, let subtree = node.subtree {
                let inner = Context(directory: nil, relative: relative, snapshotPath: path)
                let restoredInside = try await restoreTree(subtree, in: inner)
                let restored = restoredInside || includeFilter.isEmpty || isSelected(path)
                if restored {
                    announce(path, node, .restore)
                    count(node)
                }
                return restored
            }
            announce(path, node, .restore)
            count(node)
            return true
        }
        do {
            switch try existingAction(for: node, in: directory) {
            case .skip:
                announce(path, node, .skip)
                report.withLock { $0.skipped += 1 }
                return false
            case .replace:
                // Whatever is there goes (an existing directory is merged, never replaced,
                // so this is a file, link or special where the snapshot may have a folder).
                try directory.remove(node.name)
            case .restore:
                break
            }
            switch node.type {
            case .directory:
                // Counted inside: a directory made only on the way to included entries may be removed again.
                return try await restoreDirectory(node, in: directory, relative: relative, path: path)
            case .file:
                try restoreFile(node, in: directory, relative: relative, path: path)
            case .symlink:
                try directory.makeSymlink(node.name, target: node.linkTarget)
                try directory.applyMetadata(node.name, of: node, owner: options.restoreOwners, names: names)
            case .fifo, .characterDevice, .blockDevice, .socket:
                try directory.makeSpecial(node.name, type: node.type, mode: node.mode, rdev: node.rdev)
                try directory.applyMetadata(node.name, of: node, owner: options.restoreOwners, names: names)
            }
            count(node)
            return true
        } catch let error as FileSystemError {
            problem(path, "\(error)")
            return false
        }
    }

    private func existingAction(for node: Node, in directory: DirectoryHandle) throws -> RestoreAction {
        guard let existing = try? directory.status(node.name) else { return .restore }
        if node.type == .directory, existing.type == .directory { return .restore }  // merge into it
        switch options.overwrite {
        case .never:
            return .skip
        case .ifChanged:
            let same = existing.type == node.type && node.type == .file && existing.size == node.size && existing.mtime == node.mtime
            return same ? .skip : .replace
        case .always:
            return .replace
        }
    }

    private func restoreDirectory(_ node: Node, in directory: DirectoryHandle, relative: [UInt8], path: [UInt8]) async throws -> Bool {
        // Owner-only until its metadata is applied, after its contents.
        try directory.makeDirectory(node.name, mode: 0o700)
        let child = try directory.openDirectory(node.name)
        batch.withLock { $0.foldersOpened += 1 }
        var restoredInside = false
        if let subtree = node.subtree {
            restoredInside = try await restoreTree(subtree, in: Context(directory: child, relative: relative, snapshotPath: path))
        }
        if !includeFilter.isEmpty, !restoredInside, !isSelected(path) {
            // Created only on the way to included entries, and none were there.
            try? directory.remove(node.name)
            return false
        }
        batch.withLock { $0.folders.append((directory, node, path)) }
        count(node)
        return true
    }

    private func restoreFile(_ node: Node, in directory: DirectoryHandle, relative: [UInt8], path: [UInt8]) throws {
        let file: OpenFile
        if node.links > 1 {
            // Claim and create under one lock, so a second link never races ahead of the first file.
            let key = HardlinkKey(device: node.device, inode: node.inode)
            let created = try hardlinks.withLock { links -> OpenFile? in
                if links[key] != nil { return nil }
                let file = try directory.createFile(node.name, mode: 0o600)
                links[key] = relative
                return file
            }
            guard let created else {
                let first = PathBytes.components(hardlinks.withLock { $0[key] } ?? [])
                guard let firstName = first.last else { return }
                // Walk down from the target without following symlinks, as everywhere else.
                var folder = try DirectoryHandle.open(path: Array(options.target.utf8))
                for component in first.dropLast() { folder = try folder.openDirectory(component) }
                try directory.makeHardLink(node.name, to: (directory: folder, name: firstName))
                return
            }
            file = created
        } else {
            file = try directory.createFile(node.name, mode: 0o600)
        }
        // At its final size now: holes stay holes, and content fills in later.
        try file.truncate(to: node.size)
        batch.withLock { $0.files.append(PendingFile(directory: directory, node: node, path: path)) }
    }

    private func batchIsFull() -> Bool {
        batch.withLock { $0.files.count >= options.maxBatchFiles || $0.foldersOpened >= maxBatchFolders }
    }

    /// Writes the content of the batch's files, then gives files and folders
    /// their metadata. One batch at a time: a folder's metadata must not go on
    /// while its files are still being written by another.
    private func finishBatch(onlyIfFull: Bool) async throws {
        try await batchGate.withPermit {
            if onlyIfFull, !batchIsFull() { return }  // another walker finished it meanwhile
            try await writeBatch()
        }
    }

    /// Takes the batch as it stands and writes it (holding `batchGate`).
    private func writeBatch() async throws {
        let (files, folders) = batch.withLock { batch in
            defer { batch = Batch() }
            return (batch.files, batch.folders)
        }
        let writer = ContentWriter(repository: repository, files: files) { [self] count in
            report.withLock { $0.bytesWritten += UInt64(count) }
        }
        let failures = files.isEmpty ? [:] : try await writer.run(concurrency: options.loadConcurrency)
        for (index, file) in files.enumerated() {
            do {
                try file.directory.applyMetadata(file.node.name, of: file.node, owner: options.restoreOwners, names: names)
                if let reasons = failures[index] {
                    problem(file.path, reasons.joined(separator: "; "))
                } else if options.verify {
                    if let mismatch = try verify(file.node, in: file.directory) {
                        problem(file.path, "verification failed: \(mismatch)")
                    } else {
                        report.withLock { $0.verifiedFiles += 1 }
                    }
                }
            } catch let error as FileSystemError {
                problem(file.path, "\(error)")
            }
        }
        for folder in folders {
            do {
                try folder.directory.applyMetadata(folder.node.name, of: folder.node, owner: options.restoreOwners, names: names)
            } catch let error as FileSystemError {
                problem(folder.path, "\(error)")
            }
        }
    }

    /// Half the descriptors this process may open, within reason.
    private static func folderBudget() -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 4096 }
        return min(4096, max(64, (Int(clamping: limit.rlim_cur) - 128) / 2))
    }

    /// Re-reads a restored file and checks each chunk against its keyed id and each hole for zeros.
    private func verify(_ node: Node, in directory: DirectoryHandle) throws -> String? {
        let file = try directory.openFile(node.name)
        var offset: UInt64 = 0
        for piece in node.content {
            var buffer = [UInt8](repeating: 0, count: Int(min(piece.length, 8 << 20)))
            switch piece {
            case .chunk(let id, let length):
                buffer = [UInt8](repeating: 0, count: Int(length))
                let got = try buffer.withUnsafeMutableBytes { try readFully(file, into: $0, at: offset) }
                guard got == Int(length), repository.master.blobID(of: buffer) == id else {
                    return "content at offset \(offset) differs from the snapshot"
                }
            case .hole(let length):
                var done: UInt64 = 0
                while done < length {
                    let want = Int(min(UInt64(buffer.count), length - done))
                    let got = try buffer.withUnsafeMutableBytes { try readFully(file, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<want]), at: offset + done) }
                    guard got == want, buffer[0..<want].allSatisfy({ $0 == 0 }) else { return "hole at offset \(offset + done) is not empty" }
                    done += UInt64(want)
                }
            }
            offset += piece.length
        }
        let size = try file.status().size
        return size == node.size ? nil : "size is \(size), snapshot says \(node.size)"
    }

    private func readFully(_ file: OpenFile, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
        var done = 0
        while done < buffer.count {
            let got = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), at: offset + UInt64(done))
            if got == 0 { break }
            done += got
        }
        return done
    }

    private func count(_ node: Node) {
        report.withLock {
            switch node.type {
            case .file: $0.files += 1
            case .directory: $0.directories += 1
            default: $0.otherEntries += 1
            }
        }
    }

    private func announce(_ path: [UInt8], _ node: Node, _ action: RestoreAction) {
        observer.entry(path: PathBytes.display(path), type: node.type, size: node.size, action: action)
    }

    private func problem(_ path: [UInt8], _ reason: String) {
        let shown = PathBytes.display(path.isEmpty ? [PathBytes.slash] : path)
        report.withLock { $0.problems.append((shown, reason)) }
        observer.problem(path: shown, reason: reason)
    }
}
