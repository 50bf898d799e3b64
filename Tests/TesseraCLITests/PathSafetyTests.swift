import Foundation
import Glibc
import Logging
import Testing
import TesseraCore

/// A hostile repository (hand-made trees, stored with TesseraCore) must not
/// make `tessera restore` write anywhere outside its target.
@Suite("Path safety")
struct PathSafetyTests {
    /// Stores hand-made blobs and trees in a repository.
    struct Crafter {
        let repository: Repository
        let writer: RepositoryWriter

        static func open(_ sandbox: Sandbox) async throws -> Crafter {
            let repository = try await Repository.open(
                backend: LocalBackend(path: sandbox.repo), password: sandbox.password,
                cacheRoot: sandbox.path("craft-cache"), logger: Logger(label: "tessera-e2e-craft")
            )
            return Crafter(repository: repository, writer: RepositoryWriter(repository: repository))
        }

        func file(_ name: String, _ content: String) async throws -> Node { try await file(bytes(name), bytes(content)) }

        func file(_ name: RawPath, _ content: [UInt8]) async throws -> Node {
            let plaintext = Data(content)
            let id = repository.master.blobID(of: plaintext)
            try await writer.store(type: .data, id: id, plaintext: plaintext)
            return Node(name: name, type: .file, mode: 0o644, mtime: FileTime(seconds: 1_700_000_000, nanoseconds: 0),
                        size: UInt64(content.count), content: [.chunk(id, length: UInt32(content.count))])
        }

        func symlink(_ name: String, to target: String) -> Node {
            Node(name: bytes(name), type: .symlink, mode: 0o777, mtime: FileTime(seconds: 1_700_000_000, nanoseconds: 0), linkTarget: bytes(target))
        }

        /// A folder with these entries, sorted by name as a valid tree is.
        func directory(_ name: String, _ nodes: [Node]) async throws -> Node {
            Node(name: bytes(name), type: .directory, mode: 0o755, mtime: FileTime(seconds: 1_700_000_000, nanoseconds: 0),
                 subtree: try await tree(Tree(nodes: nodes).nodes))
        }

        /// Stores a tree with its entries in exactly this order (duplicates and all).
        func tree(_ nodes: [Node]) async throws -> ID {
            var tree = Tree(nodes: [])
            tree.nodes = nodes
            let plaintext = tree.encode()
            let id = repository.master.blobID(of: plaintext)
            try await writer.store(type: .tree, id: id, plaintext: plaintext)
            return id
        }

        func snapshot(_ nodes: [Node]) async throws -> ID {
            let root = try await tree(nodes)
            try await writer.flush()
            return try await repository.saveSnapshot(Snapshot(
                time: Date(), host: "evil", username: "mallory", paths: [bytes("/evil")], tags: [],
                tree: root, parent: nil, excludes: [], summary: nil
            ))
        }
    }

    /// Every path below `root` (not following symlinks).
    private func allPaths(under root: String) throws -> [String] {
        var result = [String]()
        for name in try FS.names(root) {
            let child = root + "/" + name
            result.append(child)
            if let info = FS.lstat(child), info.st_mode & S_IFMT == S_IFDIR { result += try allPaths(under: child) }
        }
        return result
    }

    @Test func restoreRefusesUnsafeNamesAndWritesNothingOutsideTheTarget() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let outside = sandbox.path("outside")
        try FS.mkdir(outside)
        let crafter = try await Crafter.open(sandbox)
        let snapshot = try await crafter.snapshot(Tree(nodes: [
            try await crafter.file("..", "dot dot\n"),
            try await crafter.file(".", "dot\n"),
            try await crafter.file("a/b", "slash\n"),
            try await crafter.file("../../escape", "escaped!\n"),
            try await crafter.file(bytes("nul") + [0] + bytes("byte"), bytes("a NUL in the name\n")),
            crafter.symlink("link", to: outside),
            try await crafter.file("good.txt", "good\n"),
            try await crafter.directory("gooddir", [
                try await crafter.file("../escape", "escaped from a subfolder\n"),
                try await crafter.file("inner.txt", "inner\n"),
            ]),
        ]).nodes)

        let target = sandbox.path("deep/er/target")
        try FS.mkdirs(target)
        let restore = await sandbox.tessera(["restore", snapshot.hex, "--target", target])

        // Nothing outside the target.
        let written = try FS.names(outside)
        #expect(written.isEmpty, "restore wrote through a symlink into \(outside): \(written)")
        let escaped = try allPaths(under: sandbox.root).filter { $0.hasSuffix("/escape") }
        #expect(escaped.isEmpty, "restore wrote \(escaped)")
        #expect(try FS.names(sandbox.path("deep")) == ["er"])
        #expect(try FS.names(sandbox.path("deep/er")) == ["target"])
        #expect(try FS.names(target).sorted() == ["good.txt", "gooddir", "link"], "unexpected entries in the target")

        // Exit status 1, and every unsafe name is reported.
        #expect(restore.status == 1, "\(describe(restore))")
        let unsafeLines = lines(restore.stderr).filter { $0.contains("unsafe") }
        #expect(unsafeLines.count == 6, "expected 6 unsafe names reported:\n\(restore.stderr)")
        for name in ["a/b", "../../escape", "gooddir/../escape", "nul"] {
            #expect(unsafeLines.contains { $0.contains(name) }, "\(name) not reported:\n\(restore.stderr)")
        }

        // The safe entries are there.
        #expect(try FS.read(target + "/good.txt") == bytes("good\n"))
        #expect(try FS.read(target + "/gooddir/inner.txt") == bytes("inner\n"))
        #expect(try FS.names(target + "/gooddir") == ["inner.txt"])
        let link = try #require(FS.lstat(target + "/link"))
        #expect(link.st_mode & S_IFMT == S_IFLNK)
        #expect(try FS.readlink(bytes(target + "/link")) == bytes(outside))
    }

    @Test(arguments: ["always", "if-changed", "never"])
    func restoreDoesNotWriteThroughASymlinkRestoredBefore(overwrite: String) async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let outside = sandbox.path("outside")
        try FS.mkdir(outside)
        let crafter = try await Crafter.open(sandbox)
        // The first snapshot has `d` as a symlink to a folder outside...
        let first = try await crafter.snapshot([crafter.symlink("d", to: outside), try await crafter.file("ok.txt", "ok\n")])
        // ...the second has a folder `d` with files, and a file named "d/x".
        let second = try await crafter.snapshot(Tree(nodes: [
            try await crafter.directory("d", [
                try await crafter.file("x", "through the symlink\n"),
                try await crafter.directory("sub", [try await crafter.file("y", "deeper\n")]),
            ]),
            try await crafter.file("d/x", "through a name with a slash\n"),
            try await crafter.file("ok2.txt", "ok too\n"),
        ]).nodes)

        let target = sandbox.path("target")
        let restoreFirst = await sandbox.tessera(["restore", first.hex, "--target", target])
        #expect(restoreFirst.status == 0, "\(describe(restoreFirst))")
        #expect(try FS.readlink(bytes(target + "/d")) == bytes(outside))

        let restoreSecond = await sandbox.tessera(["restore", second.hex, "--target", target, "--overwrite", overwrite])
        let written = try FS.names(outside)
        #expect(written.isEmpty, "restore wrote through a symlink into \(outside): \(written)")
        #expect(restoreSecond.status == 1, "\(describe(restoreSecond))")
        #expect(lines(restoreSecond.stderr).contains { $0.contains("d/x") && $0.contains("unsafe") }, "d/x not reported:\n\(restoreSecond.stderr)")
        #expect(try FS.read(target + "/ok2.txt") == bytes("ok too\n"))
        #expect(try FS.names(target).sorted() == ["d", "ok.txt", "ok2.txt"])
        // `d` is still the symlink (the folder refused), or a real folder that replaced it.
        let d = try #require(FS.lstat(target + "/d"))
        if d.st_mode & S_IFMT == S_IFDIR {
            #expect(try FS.read(target + "/d/sub/y") == bytes("deeper\n"))
        } else {
            #expect(d.st_mode & S_IFMT == S_IFLNK)
        }
    }

    @Test func restoreRefusesATreeWithTwoEntriesOfTheSameName() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let outside = sandbox.path("outside")
        try FS.mkdir(outside)
        let crafter = try await Crafter.open(sandbox)
        // In one folder: `link` -> outside, then a folder `link` holding a file.
        let hostile = try await crafter.tree([
            crafter.symlink("link", to: outside),
            try await crafter.directory("link", [try await crafter.file("x", "through the link\n")]),
        ])
        var dup = Node(name: bytes("dup"), type: .directory, mode: 0o755)
        dup.subtree = hostile
        let snapshot = try await crafter.snapshot([dup, try await crafter.file("good.txt", "good\n")])

        let target = sandbox.path("target")
        let restore = await sandbox.tessera(["restore", snapshot.hex, "--target", target])
        let written = try FS.names(outside)
        #expect(written.isEmpty, "restore wrote through a symlink into \(outside): \(written)")
        #expect(restore.status == 1, "\(describe(restore))")
        #expect(restore.stderr.contains("dup"), "the hostile folder is not named:\n\(restore.stderr)")
        #expect(try FS.read(target + "/good.txt") == bytes("good\n"))
    }
}
