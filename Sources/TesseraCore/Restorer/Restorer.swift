import Foundation
import Synchronization

/// Restores a snapshot (or part of one) into a folder.
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
    private let fileSlots: AsyncSemaphore
    private let chunkSlots: AsyncSemaphore
    private let report = Mutex(RestoreReport())
    /// First restored path (relative to the target) of each hardlinked file, by (device, inode).
    private let hardlinks = Mutex<[HardlinkKey: [UInt8]]>([:])

    struct HardlinkKey: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    public init(repository: Repository, options: RestoreOptions, observer: any RestoreObserver) throws {
        self.repository = repository
        self.options = options
        self.observer = observer
        self.includeFilter = try ExcludeFilter(patterns: options.includes)
        self.excludeFilter = try ExcludeFilter(patterns: options.excludes)
        self.fileSlots = AsyncSemaphore(permits: options.fileConcurrency)
        self.chunkSlots = AsyncSemaphore(permits: options.chunkConcurrency)
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
            var inFlight = 0
            for node in tree.nodes {
                guard node.hasSafeName else {
                    problem(PathBytes.child(context.snapshotPath, node.name), "unsafe name in snapshot, not restored")
                    continue
                }
                if node.type == .file {
                    guard isSelected(PathBytes.child(context.snapshotPath, node.name)) else { continue }
                    await fileSlots.acquire()
                    group.addTask { [self] in
                        defer { fileSlots.release() }
                        return try await restoreEntry(node, in: context, parentPath: context.snapshotPath)
                    }
                    inFlight += 1
                    // Take finished results as we go: a group keeps finished tasks until then.
                    while inFlight > options.fileConcurrency, let restored = try await group.next() {
                        if restored { restoredAny = true }
                        inFlight -= 1
                    }
                } else if try await restoreEntry(node, in: context, parentPath: context.snapshotPath) {
                    restoredAny = true
                }
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
                try await restoreFile(node, in: directory, relative: relative, path: path)
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
        var restoredInside = false
        if let subtree = node.subtree {
            restoredInside = try await restoreTree(subtree, in: Context(directory: child, relative: relative, snapshotPath: path))
        }
        if !includeFilter.isEmpty, !restoredInside, !isSelected(path) {
            // Created only on the way to included entries, and none were there.
            try? directory.remove(node.name)
            return false
        }
        try directory.applyMetadata(node.name, of: node, owner: options.restoreOwners, names: names)
        count(node)
        return true
    }

    private func restoreFile(_ node: Node, in directory: DirectoryHandle, relative: [UInt8], path: [UInt8]) async throws {
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
        let failures = try await writeContent(node.content, to: file)
        try file.truncate(to: node.size)
        try directory.applyMetadata(node.name, of: node, owner: options.restoreOwners, names: names)
        if !failures.isEmpty {
            problem(path, failures.joined(separator: "; "))
        } else if options.verify {
            if let mismatch = try verify(node, in: directory) {
                problem(path, "verification failed: \(mismatch)")
            } else {
                report.withLock { $0.verifiedFiles += 1 }
            }
        }
    }

    /// Writes every chunk at its offset, in parallel. A chunk that cannot be
    /// loaded is reported (and left as zeros) while the others are written.
    private func writeContent(_ content: [ContentPiece], to file: OpenFile) async throws -> [String] {
        try await withThrowingTaskGroup(of: String?.self) { group in
            var failures = [String]()
            var inFlight = 0
            var offset: UInt64 = 0
            for piece in content {
                let at = offset
                offset += piece.length
                guard case .chunk(let id, _) = piece else { continue }
                await chunkSlots.acquire()
                group.addTask { [self] in
                    defer { chunkSlots.release() }
                    let data: Data
                    do {
                        data = try await repository.loadBlob(id)
                    } catch {
                        return "bytes \(at)-\(at + piece.length): \(error)"
                    }
                    try await BlockingIOPool.shared.run { try data.withUnsafeBytes { try file.write($0, at: at) } }
                    report.withLock { $0.bytesWritten += UInt64(data.count) }
                    return nil
                }
                inFlight += 1
                while inFlight > options.chunkConcurrency, let result = try await group.next() {
                    if let failure = result { failures.append(failure) }
                    inFlight -= 1
                }
            }
            for try await failure in group { if let failure { failures.append(failure) } }
            return failures
        }
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
