import Foundation
import Synchronization
import TesseraCore

/// Read-ahead for a program that goes through a folder file by file in
/// listing order (`cp -a`, `rsync`, a file manager's copy): the next files'
/// chunks are decoded and stored in the kernel's page cache before the
/// program asks for them, so its reads are answered from memory while the
/// mount decodes on another core.
///
/// Reads of stored pages never reach the mount, so progress is learnt from
/// what still does: a read where the stored part ends, and the
/// listxattr/getxattr calls a copy makes for each file. The feed stays at
/// most `budget` bytes ahead of the furthest point known to be read; like
/// the kernel's read-ahead window, the budget doubles while the program
/// keeps to the predicted order and resets when it jumps. It crosses into
/// the next file only once the program has moved on to a second file.
final class FolderFeed: Sendable {
    let folder: UInt64
    private let tree: Tree
    private let snapshotRoot: UInt64
    /// Where each entry's content begins if the folder's files were laid
    /// end to end (0 bytes for anything but a file); one more for the end.
    private let starts: [UInt64]
    private let store: BlobStore
    private let kernel: KernelPageCache
    private let inodes: InodeTable
    private let maximumBudget: UInt64
    private let state: Mutex<State>

    static let firstBudget: UInt64 = 2 << 20
    /// A batch: small files come many to a range load and a thread hop;
    /// large chunks a few at a time, decoded in parallel.
    static let batchBytes: UInt64 = 4 << 20
    static let batchChunks = 512

    /// A piece of a file in the folder: entry, piece index, and where the piece begins in the file.
    struct Cursor: Equatable {
        var entry: Int
        var piece: Int
        var offset: UInt64
    }

    private struct State {
        /// The next piece to store; nil past the last file.
        var cursor: Cursor?
        /// The file the current run began with; the run stays in it until `walking`.
        var firstEntry: Int
        var walking = false
        /// The furthest stream position known to be read.
        var consumed: UInt64
        var budget: UInt64
        /// Where the batches taken so far end: reads up to there are foreseen.
        var taken: UInt64 = 0
        /// Batches start small, so the first pages arrive soon, and grow.
        var batchScale = 0
        /// Bumped when the program jumps: a piece taken before is not stored.
        var generation = 0
        var stopped = false
        var wake: CheckedContinuation<Void, Never>?
    }

    init(folder: UInt64, tree: Tree, snapshotRoot: UInt64, store: BlobStore, kernel: KernelPageCache,
         inodes: InodeTable, maximumBudget: Int, entry: Int, offset: UInt64) {
        self.folder = folder
        self.tree = tree
        self.snapshotRoot = snapshotRoot
        self.store = store
        self.kernel = kernel
        self.inodes = inodes
        self.maximumBudget = UInt64(max(maximumBudget, 0))
        var starts = [UInt64]()
        starts.reserveCapacity(tree.nodes.count + 1)
        var position: UInt64 = 0
        for node in tree.nodes {
            starts.append(position)
            if node.type == .file { position += node.size }
        }
        starts.append(position)
        self.starts = starts
        // Begun by a read from the start of file `entry`.
        state = Mutex(State(cursor: nil, firstEntry: entry, consumed: starts[entry] + offset,
                            budget: min(Self.firstBudget, self.maximumBudget)))
        let first = cursor(beyond: entry, offset: offset)
        state.withLock { $0.cursor = first }
    }

    /// The place of `name` in the folder's listing, or nil.
    func entry(named name: [UInt8]) -> Int? { tree.index(of: name) }

    // MARK: Signals

    /// The program read `length` bytes at `offset` of file `entry`, and the
    /// kernel had to ask: a read at the end of what was stored, or elsewhere.
    func reading(entry: Int, offset: UInt64, length: Int) {
        let read = starts[entry] + offset
        signal { state in
            let frontier = max(position(of: state.cursor), state.taken)
            if read >= starts[state.firstEntry], read <= frontier + (256 << 10) {
                // Where the stored part ends (or inside it): the guess holds.
                if entry != state.firstEntry { state.walking = true }
                state.consumed = max(state.consumed, read + UInt64(length))
                state.budget = min(max(state.budget * 2, Self.firstBudget), maximumBudget)
                // The read's own chunk is being loaded for it: the feed goes on after it.
                if state.cursor?.entry == entry, state.taken <= read,
                   let beyond = cursor(beyond: entry, offset: offset), position(of: beyond) > read {
                    state.cursor = beyond
                }
            } else {
                // A jump: start over from here; a read from a file's start may begin a walk.
                state.generation += 1
                state.firstEntry = entry
                state.walking = false
                state.consumed = read + UInt64(length)
                state.cursor = cursor(beyond: entry, offset: offset)
                state.taken = 0
                state.batchScale = 0
                state.budget = offset == 0 ? min(Self.firstBudget, maximumBudget) : 0
            }
        }
    }

    /// The program asked for file `entry`'s extended attributes: a copy does
    /// that for each file once it has its contents. Never starts a run (`ls
    /// -l` asks too), only moves one along.
    func touched(entry: Int) {
        signal { state in
            guard state.budget > 0, entry >= state.firstEntry,
                  starts[entry] <= max(position(of: state.cursor), state.taken) else { return }
            // Contents read, then attributes asked for: a copy, which goes on to the next file.
            state.walking = true
            state.consumed = max(state.consumed, starts[entry + 1])
            state.budget = min(state.budget * 2, maximumBudget)
        }
    }

    func stop() {
        signal { $0.stopped = true }
    }

    /// Changes the state and wakes the run if it waits and may now go on:
    /// a copy signals several times per file, and a wake-up (a thread to
    /// schedule) for a change that frees no budget would be wasted.
    private func signal(_ change: (inout State) -> Void) {
        let wake = state.withLock { state -> CheckedContinuation<Void, Never>? in
            change(&state)
            guard canProceed(state) else { return nil }
            defer { state.wake = nil }
            return state.wake
        }
        wake?.resume()
    }

    /// Whether the run has something to do: a batch the budget allows, or stopping.
    private func canProceed(_ state: State) -> Bool {
        state.stopped || (state.cursor.map { ready($0, state) } ?? false)
    }

    // MARK: The run

    /// A stretch of pieces to decode and store together.
    private struct Batch: Sendable {
        var chunks: [(cursor: Cursor, id: ID, length: UInt32)]
        /// The piece after the batch.
        var end: Cursor?
        var generation: Int
    }

    /// Stores batches while the budget allows, waits for signals otherwise;
    /// ends when stopped. The next batch is read and decoded while the
    /// previous one is being stored.
    func run() async {
        var tail: PageTail?
        var numbers: (entry: Int, number: UInt64)?
        var pending: (batch: Batch, decoded: Task<[ID: Data], Never>)?
        while true {
            let batch: Batch
            let decoded: [ID: Data]
            if let ready = pending {
                batch = ready.batch
                decoded = await ready.decoded.value
                pending = nil
            } else {
                guard let next = await nextBatch() else { return }
                batch = next
                decoded = await decode(next)
            }
            // Read ahead of the stores: the batch after this one, if the budget allows it already.
            if let following = gather(from: batch.end, generation: batch.generation) {
                pending = (following, Task { await decode(following) })
            }
            var stores = [KernelPageCache.Store]()
            for chunk in batch.chunks {
                let node = tree.nodes[chunk.cursor.entry]
                if numbers?.entry != chunk.cursor.entry {
                    let number = inodes.number(for: .node(node, snapshotRoot: snapshotRoot), parent: folder,
                                               name: node.name, position: chunk.cursor.entry)
                    numbers = (chunk.cursor.entry, number)
                    tail = nil
                }
                guard let data = decoded[chunk.id], data.count >= Int(chunk.length), let number = numbers?.number else {
                    tail = nil
                    continue
                }
                stores += pages(data.prefix(Int(chunk.length)), at: chunk.cursor.offset, fileSize: node.size, inode: number, tail: &tail)
            }
            let current = state.withLock { $0.generation == batch.generation && !$0.stopped }
            if current { await kernel.store(stores) }
            state.withLock { state in
                if state.generation == batch.generation { state.cursor = batch.end }
            }
            if let ready = pending, !current || ready.batch.generation != state.withLock({ $0.generation }) {
                pending = nil
            }
        }
    }

    /// The next batch from the feed's cursor, waiting while the budget is spent; nil once stopped.
    private func nextBatch() async -> Batch? {
        while true {
            if state.withLock({ $0.stopped }) { return nil }
            if let batch = gather(from: nil, generation: nil) { return batch }
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if canProceed(state) { return true }
                    state.wake = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        }
    }

    /// Up to `batchBytes` of pieces from `start` (the feed's cursor when nil)
    /// that the budget allows; nil when it allows none or the generation moved on.
    private func gather(from start: Cursor?, generation expected: Int?) -> Batch? {
        state.withLock { state -> Batch? in
            if let expected, expected != state.generation { return nil }
            guard !state.stopped, var cursor = expected == nil ? state.cursor : start, ready(cursor, state) else { return nil }
            var chunks = [(cursor: Cursor, id: ID, length: UInt32)]()
            var bytes: UInt64 = 0
            var next: Cursor? = cursor
            let maximumBytes = Self.batchBytes >> max(0, 4 - state.batchScale)
            let maximumChunks = Self.batchChunks >> max(0, 7 - state.batchScale)
            while let step = next, allowed(step, state), bytes < maximumBytes, chunks.count < maximumChunks {
                cursor = step
                if case .chunk(let id, let length) = tree.nodes[step.entry].content[step.piece] {
                    chunks.append((step, id, length))
                    bytes += UInt64(length)
                }
                next = self.cursor(after: step)
            }
            guard next != (expected == nil ? state.cursor : start) else { return nil }
            state.taken = max(state.taken, position(of: next))
            state.batchScale += 1
            return Batch(chunks: chunks, end: next, generation: state.generation)
        }
    }

    /// The batch's chunks, decoded (from the disk cache, or read by pack).
    private func decode(_ batch: Batch) async -> [ID: Data] {
        batch.chunks.isEmpty ? [:] : await store.decoded(batch.chunks.map { ($0.id, $0.length) })
    }

    private func allowed(_ cursor: Cursor, _ state: State) -> Bool {
        (state.walking || cursor.entry == state.firstEntry)
            && starts[cursor.entry] + cursor.offset < state.consumed + state.budget
    }

    /// Whether a new batch may begin: only once a quarter of the budget is
    /// free again, so that a copy's progress of one small file at a time
    /// does not cost a batch (a range load, a decode, a store trip) per file.
    private func ready(_ cursor: Cursor, _ state: State) -> Bool {
        allowed(cursor, state) && starts[cursor.entry] + cursor.offset + state.budget / 4 <= state.consumed + state.budget
    }

    // MARK: Pages

    /// The bytes of a last, partial page, held until the next chunk of the
    /// same file fills it.
    struct PageTail {
        var offset: UInt64
        var bytes: Data
    }

    /// The stores that put `bytes` (found at `offset` of the file) in the
    /// page cache, in whole pages; a partial page at the end is kept in
    /// `tail` for the next chunk, unless it ends the file.
    private func pages(_ bytes: Data, at offset: UInt64, fileSize: UInt64, inode: UInt64, tail: inout PageTail?) -> [KernelPageCache.Store] {
        let page = KernelPageCache.pageSize
        var stores = [KernelPageCache.Store]()
        var rest = bytes
        var position = offset
        if let held = tail, held.offset + UInt64(held.bytes.count) == offset {
            // Finish the page the previous chunk began.
            let fill = min(Int(page) - held.bytes.count, rest.count)
            var first = held.bytes
            first.append(rest.prefix(fill))
            rest = rest.dropFirst(fill)
            position += UInt64(fill)
            guard first.count == Int(page) || position == fileSize else {
                tail = PageTail(offset: held.offset, bytes: first)
                return []
            }
            stores.append(.init(inode: inode, offset: held.offset, bytes: first))
        } else {
            // A page begun by a hole or by pieces not stored: left to the kernel's own read.
            let skip = Int(min((page - position % page) % page, UInt64(rest.count)))
            rest = rest.dropFirst(skip)
            position += UInt64(skip)
        }
        tail = nil
        guard !rest.isEmpty else { return stores }
        let end = position + UInt64(rest.count)
        let whole = end == fileSize ? rest.count : rest.count - Int(end % page)
        if whole < rest.count {
            tail = PageTail(offset: position + UInt64(whole), bytes: Data(rest.suffix(rest.count - whole)))
        }
        if whole > 0 { stores.append(.init(inode: inode, offset: position, bytes: rest.prefix(whole))) }
        return stores
    }

    // MARK: Cursors

    /// Where `cursor` lies if the folder's files were laid end to end; nil is past the last.
    private func position(of cursor: Cursor?) -> UInt64 {
        cursor.map { starts[$0.entry] + $0.offset } ?? (starts.last ?? 0)
    }

    /// The piece of file `entry` (or the next file with content) that holds `offset`.
    private func cursor(entry: Int, offset: UInt64) -> Cursor? {
        var index = entry
        while index < tree.nodes.count {
            let node = tree.nodes[index]
            if node.type == .file, offset < node.size || index > entry {
                var start: UInt64 = 0
                for (piece, content) in node.content.enumerated() {
                    let length = content.length
                    if index > entry || offset < start + length { return Cursor(entry: index, piece: piece, offset: start) }
                    start += length
                }
            }
            index += 1
        }
        return nil
    }

    /// The piece after the one holding `offset` of file `entry`: a read's
    /// own chunk is loaded by the read, and the rest of it served from memory.
    private func cursor(beyond entry: Int, offset: UInt64) -> Cursor? {
        cursor(entry: entry, offset: offset).flatMap { $0.entry == entry ? cursor(after: $0) : $0 }
    }

    private func cursor(after cursor: Cursor) -> Cursor? {
        let node = tree.nodes[cursor.entry]
        if cursor.piece + 1 < node.content.count {
            return Cursor(entry: cursor.entry, piece: cursor.piece + 1, offset: cursor.offset + node.content[cursor.piece].length)
        }
        return self.cursor(entry: cursor.entry + 1, offset: 0)
    }
}
