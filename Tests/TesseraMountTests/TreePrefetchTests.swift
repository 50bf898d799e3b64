import Synchronization
import Testing
import TesseraCore
@testable import TesseraMount

@Suite("Tree prefetch")
struct TreePrefetchTests {
    /// A repository's trees by ID: `root` holds folders a, b; a holds a1, a2;
    /// each folder also holds `files` files.
    private struct Forest {
        var trees: [ID: Tree] = [:]
        var names: [ID: String] = [:]
        var root = ID.random()

        init(files: Int = 1) {
            func folder(_ name: String, _ children: [String: ID]) -> ID {
                let id = name == "root" ? root : ID.random()
                var nodes = children.map { Node(name: Array($0.key.utf8), type: .directory, subtree: $0.value) }
                nodes += (0..<files).map { Node(name: Array("\(name)-file\($0)".utf8), type: .file) }
                trees[id] = Tree(nodes: nodes)
                names[id] = name
                return id
            }
            let a = folder("a", ["a1": folder("a1", [:]), "a2": folder("a2", [:])])
            _ = folder("root", ["a": a, "b": folder("b", [:])])
        }
    }

    /// Records the loads and answers them from the forest.
    private final class Loads: Sendable {
        let order = Mutex<[String]>([])
        let forest: Forest
        init(_ forest: Forest) { self.forest = forest }
        func load(_ id: ID) -> Tree? {
            order.withLock { $0.append(forest.names[id] ?? "?") }
            return forest.trees[id]
        }
    }

    private func waitForLoads(_ loads: Loads, count: Int) async throws {
        for _ in 0..<500 where loads.order.withLock({ $0.count }) < count {
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    @Test func loadsTheWholeSubtreeInTheOrderADepthFirstWalkListsIt() async throws {
        let forest = Forest()
        let loads = Loads(forest)
        let prefetch = TreePrefetch(budget: 1000)
        prefetch.listed(try #require(forest.trees[forest.root]), id: forest.root) { loads.load($0) }
        try await waitForLoads(loads, count: 4)
        // Nodes are sorted by name in a tree: a before b, a1 before a2.
        #expect(loads.order.withLock { $0 } == ["a", "a1", "a2", "b"])
    }

    @Test func staysABudgetAheadOfTheListingsAndGoesOnAsTheyCatchUp() async throws {
        // root and a hold 5 entries (3 files), a1, a2 and b hold 3.
        let forest = Forest(files: 3)
        let loads = Loads(forest)
        let prefetch = TreePrefetch(budget: 5)
        let load: @Sendable (ID) async -> Tree? = { loads.load($0) }
        func id(_ name: String) throws -> ID { try #require(forest.names.first { $0.value == name }?.key) }
        prefetch.listed(try #require(forest.trees[forest.root]), id: forest.root, load: load)
        try await waitForLoads(loads, count: 1)
        try await Task.sleep(for: .milliseconds(50))
        #expect(loads.order.withLock { $0 } == ["a"], "5 entries ahead: it should wait for a listing")

        // The walk lists a: its 5 entries no longer count; a1 and a2 make 6.
        prefetch.listed(try #require(forest.trees[id("a")]), id: try id("a"), load: load)
        try await waitForLoads(loads, count: 3)
        try await Task.sleep(for: .milliseconds(50))
        #expect(loads.order.withLock { $0 } == ["a", "a1", "a2"])

        // a1 is listed: 3 ahead, so b comes.
        prefetch.listed(try #require(forest.trees[id("a1")]), id: try id("a1"), load: load)
        try await waitForLoads(loads, count: 4)
        #expect(loads.order.withLock { $0 } == ["a", "a1", "a2", "b"])
    }

    @Test func treesAlreadyInMemoryAreNotDescendedAgain() async throws {
        let forest = Forest()
        let loads = Loads(forest)
        let prefetch = TreePrefetch(budget: 1000)
        // "a" is in memory already (nil): its subfolders are not stacked again.
        let aID = try #require(forest.names.first { $0.value == "a" }?.key)
        prefetch.listed(try #require(forest.trees[forest.root]), id: forest.root) { id in
            id == aID ? nil : loads.load(id)
        }
        try await waitForLoads(loads, count: 1)
        try await Task.sleep(for: .milliseconds(50))
        #expect(loads.order.withLock { $0 } == ["b"])
    }
}
