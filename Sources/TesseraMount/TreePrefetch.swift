import Synchronization
import TesseraCore

/// Loads the trees below the folders being listed, in the background and
/// in the order a depth-first walk (`find`, `cp -a`, `du`, a file manager's
/// folder size) asks for them, so that its listings are answered from memory.
///
/// A listing puts its subfolders on top of a stack, first subfolder last,
/// so the loads follow wherever the walk is now. Loading a tree stacks its
/// own subfolders: the walk's whole path is read ahead, not only the next
/// level. One task does the loads, one after another, at low
/// priority, and stays at most `budget` entries ahead of the walk: loaded
/// trees count until they are listed, so a slow walk (a copy) never has its
/// own folders pushed out of the tree cache by loads it is not ready for.
final class TreePrefetch: Sendable {
    private struct State {
        /// Trees to load; the next one is last.
        var pending: [ID] = []
        var running = false
        /// Trees loaded and not listed yet, with their entry counts.
        var ahead: [ID: Int] = [:]
        var entriesAhead = 0
    }

    /// The oldest trees to load are dropped beyond this.
    static let maximumPending = 4096

    private let state = Mutex(State())
    private let budget: Int

    init(budget: Int) { self.budget = budget }

    /// The tree `id` was listed: its subfolders come next. `load` loads a
    /// tree that is not in memory yet; it answers nil when the tree already
    /// was (its subfolders were stacked when it was loaded) or cannot be read.
    func listed(_ tree: Tree, id: ID, load: @escaping @Sendable (ID) async -> Tree?) {
        let start = state.withLock { state -> Bool in
            if let entries = state.ahead.removeValue(forKey: id) {
                // Loaded ahead: its subfolders were stacked then.
                state.entriesAhead -= entries
            } else {
                // A listing the loads did not foresee: the walk is elsewhere
                // now, and what was loaded for it counts no more.
                state.ahead.removeAll()
                state.entriesAhead = 0
                Self.stack(subfolders: tree, on: &state.pending)
            }
            guard !state.running, state.entriesAhead < budget, !state.pending.isEmpty else { return false }
            state.running = true
            return true
        }
        if start { Task(priority: .low) { await self.run(load: load) } }
    }

    private func run(load: @Sendable (ID) async -> Tree?) async {
        while let id = next() {
            guard let tree = await load(id) else { continue }
            state.withLock { state in
                state.ahead[id] = tree.nodes.count
                state.entriesAhead += tree.nodes.count
                Self.stack(subfolders: tree, on: &state.pending)
            }
        }
    }

    /// The next tree to load, or nil (and the task ends) when none is left
    /// or the loads are a budget ahead of the walk.
    private func next() -> ID? {
        state.withLock { state in
            guard state.entriesAhead < budget, let id = state.pending.popLast() else {
                state.running = false
                return nil
            }
            return id
        }
    }

    private static func stack(subfolders tree: Tree, on pending: inout [ID]) {
        for node in tree.nodes.reversed() where node.type == .directory {
            if let subtree = node.subtree { pending.append(subtree) }
        }
        if pending.count > maximumPending { pending.removeFirst(pending.count - maximumPending) }
    }
}
