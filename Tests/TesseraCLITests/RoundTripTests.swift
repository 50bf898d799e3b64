import Foundation
import Glibc
import Testing

/// Backup and restore through the real binary: exactness, partial restores,
/// listings, parent snapshots and excludes.
@Suite("Round trip")
struct RoundTripTests {
    // MARK: Exactness

    @Test func restoreReproducesAwkwardTreeExactly() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try Fixtures.makeAwkwardTree(at: source)
        let sourceBefore = try scanTree(bytes(source))

        let backup = await sandbox.tessera(["backup", "--json", source])
        #expect(backup.status == 0, "\(describe(backup))")
        #expect(backup.stderr.isEmpty, "backup warned: \(backup.stderr)")
        let counts = try #require(summary(backup), "no JSON summary: \(describe(backup))")
        // Identical content (the duplicate pair, the hardlink's second name) is stored once.
        let total = try #require(int(counts, "total_bytes"))
        let added = try #require(int(counts, "bytes_added"))
        #expect(added <= total - Fixtures.duplicateSize - 70_000, "bytes_added \(added) of total \(total): identical content was stored twice")

        // The backup did not change the source (times, owners, modes).
        let sourceAfter = try scanTree(bytes(source))
        #expect(sourceBefore.mapValues(\.state) == sourceAfter.mapValues(\.state), "the backup modified its source")

        let target = sandbox.path("restore")
        let restore = await sandbox.tessera(["restore", "latest", "--target", target])
        #expect(restore.status == 0, "\(describe(restore))")
        #expect(restore.stderr.isEmpty, "restore complained: \(restore.stderr)")

        let restored = target + source
        let differences = try compareTrees(source: bytes(source), restored: bytes(restored))
        #expect(differences.isEmpty, "restored tree differs from the source:\n\(differences.joined(separator: "\n"))")

        // Spelled out, the properties most likely to be lost.
        let sparse = try #require(FS.lstat(restored + "/sparse"))
        #expect(sparse.st_size == 16 << 20)
        #expect(sparse.st_blocks * 512 <= 256 << 10, "sparse file restored with \(sparse.st_blocks * 512) bytes allocated: holes were filled")
        let hard1 = try #require(FS.lstat(restored + "/links/a/hard1"))
        let hard2 = try #require(FS.lstat(restored + "/links/b/hard2"))
        #expect(hard1.st_ino == hard2.st_ino && hard1.st_nlink == 2, "hardlink pair restored as separate files")
        let old = try #require(FS.lstat(restored + "/times/before-1970"))
        #expect(old.st_mtim.tv_sec == -1_000_000_000 && old.st_mtim.tv_nsec == 987_654_321)
        let device = try #require(FS.lstat(restored + "/special/null-device"))
        #expect(device.st_mode & S_IFMT == S_IFCHR && device.st_rdev == 0x103)
        let setuid = try #require(FS.lstat(restored + "/owned/setuid-1234"))
        #expect(setuid.st_uid == 1234 && setuid.st_gid == 5678 && setuid.st_mode & 0o7777 == 0o4750)
        #expect(try FS.xattrs(join(bytes(restored), "xattr"))[bytes("user.on-dir")] == [0xde, 0xad, 0x00, 0xbe, 0xef])
        #expect(try FS.readlink(join(bytes(restored), "sym/binary-target")) == [0xff, UInt8(ascii: "/"), 0xfe])
        #expect(FS.exists(join(bytes(restored), Fixtures.nonUTF8Name)))
        #expect(FS.exists(join(bytes(restored), Fixtures.newlineName)))
        #expect(FS.exists(join(bytes(restored), Fixtures.longName)))
    }

    @Test func restoreVerifyChecksEveryRestoredFile() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try Fixtures.makeAwkwardTree(at: source)
        let backup = await sandbox.tessera(["backup", "-q", source])
        try #require(backup.status == 0, "\(describe(backup))")

        let scanned = try scanTree(bytes(source))
        let distinctFiles = Set(scanned.values.filter { $0.state.type == UInt32(S_IFREG) }.map(\.inode)).count

        let verify = await sandbox.tessera(["restore", "latest", "--target", sandbox.path("restore"), "--verify"])
        #expect(verify.status == 0, "\(describe(verify))")
        #expect(verify.stdout.contains("verified \(distinctFiles) files"), "expected \"verified \(distinctFiles) files\": \(describe(verify))")

        let json = await sandbox.tessera(["restore", "latest", "--target", sandbox.path("restore-json"), "--verify", "--json"])
        #expect(json.status == 0, "\(describe(json))")
        let counts = try #require(summary(json), "\(describe(json))")
        #expect(int(counts, "files_verified") == distinctFiles)
        #expect(int(counts, "errors") == 0)
        let differences = try compareTrees(source: bytes(source), restored: bytes(sandbox.path("restore-json") + source))
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
    }

    @Test func lsJSONDescribesEveryEntryDistinctlyWhateverItsName() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try Fixtures.makeAwkwardTree(at: source)
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)
        let scanned = try scanTree(bytes(source))

        let listing = await sandbox.tessera(["ls", "--recursive", "--json", "latest", source])
        #expect(listing.status == 0, "\(describe(listing))")
        var paths = [String]()
        var nodes = [String: [String: Any]]()
        for line in lines(listing.stdout) {
            let object = try #require(jsonObject(line), "not a JSON object: \(line)")
            guard object["message_type"] as? String == "node" else { continue }
            let path = try #require(object["path"] as? String, "no path: \(line)")
            paths.append(path)
            nodes[path] = object
        }
        #expect(paths.count == scanned.count - 1, "ls lists \(paths.count) entries, the source has \(scanned.count - 1)")
        let shared = Dictionary(grouping: paths, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        #expect(shared.isEmpty, "distinct names are listed under the same path: \(shared)")

        // Names that are plain UTF-8 (without backslashes) appear verbatim, with their type and size.
        let types: [UInt32: String] = [UInt32(S_IFREG): "file", UInt32(S_IFDIR): "dir", UInt32(S_IFLNK): "symlink",
                                       UInt32(S_IFIFO): "fifo", UInt32(S_IFCHR): "chardev"]
        for (relative, entry) in scanned where !relative.isEmpty && !relative.contains(UInt8(ascii: "\\")) {
            guard let name = String(validating: relative, as: UTF8.self) else { continue }
            let node = try #require(nodes[source + "/" + name], "\(show(relative)) is not listed")
            #expect(node["type"] as? String == types[entry.state.type], "type of \(show(relative))")
            if entry.state.type == UInt32(S_IFREG) { #expect(int(node, "size") == Int(entry.state.size), "size of \(show(relative))") }
        }
    }

    // MARK: Partial restores

    /// A repository with one snapshot of `Fixtures.makeSmallTree`; returns the source path.
    private func smallTreeSnapshot(_ sandbox: Sandbox) async throws -> String {
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try Fixtures.makeSmallTree(at: source)
        let backup = await sandbox.tessera(["backup", "-q", source])
        try #require(backup.status == 0, "\(describe(backup))")
        return source
    }

    /// Regular files below `root`, relative to it.
    private func restoredFiles(_ root: String) throws -> Set<String> {
        guard FS.exists(root) else { return [] }
        return Set(try FS.regularFiles(under: root).map { String($0.dropFirst(root.count + 1)) })
    }

    @Test func restoreOfSubpathPutsItsContentDirectlyInTarget() async throws {
        let sandbox = try Sandbox()
        let source = try await smallTreeSnapshot(sandbox)
        let target = sandbox.path("target")
        let restore = await sandbox.tessera(["restore", "latest:\(source)/docs", "--target", target])
        #expect(restore.status == 0, "\(describe(restore))")
        #expect(try restoredFiles(target) == ["a.txt", "b.log", "sub/c.txt", "sub/d.log"])
        #expect(!FS.exists(target + "/docs"))
        #expect(!FS.exists(target + source))
        for name in ["a.txt", "b.log", "sub/c.txt", "sub/d.log"] {
            #expect(try FS.read(target + "/" + name) == Fixtures.smallTreeFiles["docs/" + name], "\(name)")
        }
        let differences = try compareTrees(source: bytes(source + "/docs/sub"), restored: bytes(target + "/sub"))
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
    }

    @Test func restoreOfAPathBelowASymlinkIsRefused() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try Fixtures.makeSmallTree(at: source)
        try FS.symlink(bytes("docs"), at: bytes(source + "/link"))
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)

        // /src/link is a symlink in the snapshot: there is no /src/link/a.txt to restore.
        let target = sandbox.path("target")
        let restore = await sandbox.tessera(["restore", "latest:\(source)/link/a.txt", "--target", target])
        #expect(restore.status == 1, "\(describe(restore))")
        #expect(restore.stderr.contains("\(source)/link/a.txt"), "\(describe(restore))")
        let restored = FS.exists(target) ? try FS.names(target) : []
        #expect(restored.isEmpty, "restored \(restored) for a path that is not in the snapshot")
    }

    @Test func restoreIncludeRestoresOnlyMatchingFiles() async throws {
        let sandbox = try Sandbox()
        let source = try await smallTreeSnapshot(sandbox)
        let target = sandbox.path("target")
        let restore = await sandbox.tessera(["restore", "latest", "--target", target, "--include", "*.txt"])
        #expect(restore.status == 0, "\(describe(restore))")
        #expect(try restoredFiles(target + source) == ["top.txt", "docs/a.txt", "docs/sub/c.txt"])
        #expect(!FS.exists(target + source + "/data"), "a folder without included files was created")
        #expect(try FS.read(target + source + "/docs/sub/c.txt") == Fixtures.smallTreeFiles["docs/sub/c.txt"])
    }

    @Test func restoreExcludeSkipsMatchingFiles() async throws {
        let sandbox = try Sandbox()
        let source = try await smallTreeSnapshot(sandbox)
        let target = sandbox.path("target")
        let restore = await sandbox.tessera(["restore", "latest", "--target", target, "--exclude", "*.log", "--exclude", "data"])
        #expect(restore.status == 0, "\(describe(restore))")
        #expect(try restoredFiles(target + source) == ["top.txt", "docs/a.txt", "docs/sub/c.txt"])
        #expect(!FS.exists(target + source + "/data"))
        #expect(try FS.read(target + source + "/top.txt") == Fixtures.smallTreeFiles["top.txt"])
    }

    @Test func restoreDryRunListsPathsAndWritesNothing() async throws {
        let sandbox = try Sandbox()
        let source = try await smallTreeSnapshot(sandbox)
        let target = sandbox.path("target")
        let dryRun = await sandbox.tessera(["restore", "latest", "--target", target, "--dry-run"])
        #expect(dryRun.status == 0, "\(describe(dryRun))")
        #expect(!FS.exists(target), "a dry run created the target")
        // Each file is listed under its absolute path in the snapshot (as `ls` shows it).
        let listed = lines(dryRun.stdout)
        let unlisted = Fixtures.smallTreeFiles.keys.map { source + "/" + $0 }.filter { absolute in
            !listed.contains { $0.hasPrefix("restore") && $0.contains(" " + absolute) }
        }
        #expect(unlisted.isEmpty, "the dry run does not list \(unlisted.sorted()):\n\(dryRun.stdout)")
        #expect(try FS.names(sandbox.root).sorted() == ["cache", "repo", "src"], "a dry run wrote something")

        // Its summary predicts the real restore.
        let preview = await sandbox.tessera(["restore", "latest", "--target", target, "--dry-run", "--json"])
        #expect(!FS.exists(target), "a dry run created the target")
        let real = await sandbox.tessera(["restore", "latest", "--target", target, "--json"])
        let predicted = try #require(summary(preview), "\(describe(preview))")
        let done = try #require(summary(real), "\(describe(real))")
        #expect(predicted["dry_run"] as? Bool == true)
        for key in ["files_restored", "dirs_restored", "other_restored"] {
            #expect(int(predicted, key) == int(done, key), "--dry-run predicts \(key) = \(int(predicted, key) ?? -1), the restore did \(int(done, key) ?? -1)")
        }
    }

    @Test func overwriteNeverKeepsExistingModifiedFile() async throws {
        let sandbox = try Sandbox()
        let source = try await smallTreeSnapshot(sandbox)
        let target = sandbox.path("target")
        try #require(await sandbox.tessera(["restore", "latest", "--target", target]).status == 0)
        let file = target + source + "/top.txt"
        try FS.write(file, "changed after the restore, and longer\n")

        let never = await sandbox.tessera(["restore", "latest", "--target", target, "--overwrite", "never"])
        #expect(never.status == 0, "\(describe(never))")
        #expect(try FS.read(file) == bytes("changed after the restore, and longer\n"), "--overwrite never replaced a file")
    }

    @Test func overwriteAlwaysReplacesExistingModifiedFile() async throws {
        let sandbox = try Sandbox()
        let source = try await smallTreeSnapshot(sandbox)
        let target = sandbox.path("target")
        try #require(await sandbox.tessera(["restore", "latest", "--target", target]).status == 0)
        let file = target + source + "/top.txt"
        try FS.write(file, "changed after the restore, and longer\n")
        try FS.write(target + source + "/docs/a.txt", "also changed\n")

        let always = await sandbox.tessera(["restore", "latest", "--target", target, "--overwrite", "always"])
        #expect(always.status == 0, "\(describe(always))")
        #expect(try FS.read(file) == Fixtures.smallTreeFiles["top.txt"])
        #expect(try FS.read(target + source + "/docs/a.txt") == Fixtures.smallTreeFiles["docs/a.txt"])
        let differences = try compareTrees(source: bytes(source), restored: bytes(target + source))
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
    }

    @Test func findListsMatchingEntriesInEverySnapshot() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try FS.mkdirs(source + "/notes.txt")
        try FS.mkdirs(source + "/sub")
        try FS.write(source + "/a.txt", "a\n")
        try FS.write(source + "/sub/b.txt", "b\n")
        try FS.write(source + "/sub/c.log", "c\n")
        try FS.write(source + "/notes.txt/inner.md", "d\n")
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)
        try FS.write(source + "/sub/e.txt", "e\n")
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)

        let found = await sandbox.tessera(["find", "*.txt", "--json"])
        #expect(found.status == 0, "\(describe(found))")
        let paths = found.stdout.split(separator: "\n").compactMap { line -> String? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return object["path"] as? String
        }
        // A folder named *.txt is listed once, not everything below it.
        let once = ["/a.txt", "/notes.txt", "/sub/b.txt"].map { source + $0 }
        #expect(paths.sorted() == (once + once + [source + "/sub/e.txt"]).sorted(), "\(describe(found))")

        let latest = await sandbox.tessera(["find", "c.log", "inner.md", "--snapshot", "latest"])
        #expect(latest.status == 0 && latest.stdout.contains(source + "/sub/c.log") && latest.stdout.contains(source + "/notes.txt/inner.md"), "\(describe(latest))")
        #expect(latest.stdout.contains("2 matches in 1 snapshot"), "\(describe(latest))")
    }

    @Test func outputIntoAClosedPipeEndsQuietly() async throws {
        let sandbox = try Sandbox()
        let source = try await smallTreeSnapshot(sandbox)
        // `head -1` closes the pipe after one line; tessera must neither crash nor fail.
        let listing = await sandbox.tessera(["ls", "latest", "--recursive"], launcher: ["/bin/bash", "-c", "exe=$1; shift; \"$exe\" \"$@\" | head -1 >/dev/null; exit ${PIPESTATUS[0]}", "bash"])
        #expect(listing.status == 0, "\(describe(listing))")
        #expect(!listing.stderr.contains("Fatal error") && !listing.stderr.contains("crashed"), "\(describe(listing))")
        let backup = await sandbox.tessera(["backup", "--json", source], launcher: ["/bin/bash", "-c", "exe=$1; shift; \"$exe\" \"$@\" | head -0; exit ${PIPESTATUS[0]}", "bash"])
        #expect(backup.status == 0, "\(describe(backup))")
        #expect(try FS.names(sandbox.repo + "/locks").isEmpty, "the backup left its lock")
    }

    @Test func aSourcePathThatIsNotUTF8CanBeGivenOnTheCommandLine() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let folder: RawPath = bytes(sandbox.path("caf")) + [0xe9, 0xff]
        try FS.mkdir(folder)
        try FS.write(folder + bytes("/inside.txt"), bytes("hello\n"))

        // Foundation passes arguments as Strings, so a shell hands over the raw bytes (printf %b).
        let escaped = sandbox.path("caf") + "\\0351\\0377"
        let script = "exe=$1; shift; exec \"$exe\" backup -q \"$(printf '%b' \"$1\")\""
        let backup = await sandbox.tessera([escaped], launcher: ["/bin/sh", "-c", script, "sh"])
        #expect(backup.status == 0, "\(describe(backup))")
        let listing = await sandbox.tessera(["ls", "latest", "--recursive"])
        #expect(listing.stdout.contains(sandbox.path("caf") + "\\xe9\\xff/inside.txt"), "\(describe(listing))")
    }

    @Test func overwriteAlwaysReplacesAFileWhereTheSnapshotHasAFolder() async throws {
        let sandbox = try Sandbox()
        let source = try await smallTreeSnapshot(sandbox)
        let target = sandbox.path("target")
        try FS.mkdirs(target + source)
        try FS.write(target + source + "/docs", "a file where the snapshot has a folder\n")

        let always = await sandbox.tessera(["restore", "latest", "--target", target, "--overwrite", "always"])
        #expect(always.status == 0, "\(describe(always))")
        let differences = try compareTrees(source: bytes(source), restored: bytes(target + source))
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
    }

    @Test func overwriteIfChangedSkipsIdenticalFilesAndReplacesChangedOnes() async throws {
        let sandbox = try Sandbox()
        let source = try await smallTreeSnapshot(sandbox)
        let target = sandbox.path("target")
        try #require(await sandbox.tessera(["restore", "latest", "--target", target]).status == 0)
        let identical = target + source + "/docs/a.txt"
        let inodeBefore = try #require(FS.lstat(identical)).st_ino
        let changed = target + source + "/top.txt"
        try FS.write(changed, "changed after the restore, and longer\n")

        let ifChanged = await sandbox.tessera(["restore", "latest", "--target", target, "--overwrite", "if-changed", "--json"])
        #expect(ifChanged.status == 0, "\(describe(ifChanged))")
        #expect(try #require(FS.lstat(identical)).st_ino == inodeBefore, "an identical file was rewritten")
        #expect(try FS.read(changed) == Fixtures.smallTreeFiles["top.txt"], "a changed file was kept")
        let counts = try #require(summary(ifChanged), "\(describe(ifChanged))")
        #expect(int(counts, "skipped") == Fixtures.smallTreeFiles.count - 1)
    }

    // MARK: Listings

    @Test func lsListsTheChildrenOfAPath() async throws {
        let sandbox = try Sandbox()
        let source = try await smallTreeSnapshot(sandbox)
        let top = await sandbox.tessera(["ls", "latest", source])
        #expect(top.status == 0, "\(describe(top))")
        #expect(Set(lines(top.stdout).map(String.init)) == [source + "/data", source + "/docs", source + "/top.txt"])
        let sub = await sandbox.tessera(["ls", "latest", source + "/docs/sub"])
        #expect(sub.status == 0, "\(describe(sub))")
        #expect(lines(sub.stdout).map(String.init) == [source + "/docs/sub/c.txt", source + "/docs/sub/d.log"])
    }

    @Test func lsRecursiveJSONDescribesEveryEntry() async throws {
        let sandbox = try Sandbox()
        let source = try await smallTreeSnapshot(sandbox)
        let listing = await sandbox.tessera(["ls", "--recursive", "--json", "latest", source])
        #expect(listing.status == 0, "\(describe(listing))")
        var seen = [String: (type: String, size: Int?)]()
        for line in lines(listing.stdout) {
            let object = try #require(jsonObject(line), "not a JSON object: \(line)")
            guard object["message_type"] as? String != "snapshot" else { continue }
            let path = try #require(object["path"] as? String, "no path: \(line)")
            let type = try #require(object["type"] as? String, "no type: \(line)")
            seen[path] = (type, int(object, "size"))
        }
        var expected = [String: (type: String, size: Int?)]()
        for directory in Fixtures.smallTreeDirectories { expected[source + "/" + directory] = ("dir", nil) }
        for (path, content) in Fixtures.smallTreeFiles { expected[source + "/" + path] = ("file", content.count) }
        #expect(Set(seen.keys) == Set(expected.keys))
        for (path, want) in expected {
            #expect(seen[path]?.type == want.type, "\(path)")
            if want.type == "file" { #expect(seen[path]?.size == want.size, "size of \(path)") }
        }
    }

    @Test func snapshotListJSONAndAliasesShowEverySnapshot() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try Fixtures.makeSmallTree(at: source)
        let first = await sandbox.tessera(["backup", "--json", source])
        let second = await sandbox.tessera(["snapshot", "create", "--json", source])
        #expect(first.status == 0 && second.status == 0, "\(describe(first))\n\(describe(second))")
        let ids = [first, second].compactMap { summary($0)?["snapshot_id"] as? String }
        try #require(ids.count == 2)

        let list = await sandbox.tessera(["snapshot", "list", "--json"])
        #expect(list.status == 0, "\(describe(list))")
        let array = try #require(jsonArray(list.stdout), "not a JSON array: \(list.stdout)")
        #expect(Set(array.compactMap { $0["id"] as? String }) == Set(ids))
        for entry in array {
            let id = try #require(entry["id"] as? String)
            #expect(id.count == 64 && id.allSatisfy(\.isHexDigit))
            let time = try #require(entry["time"] as? String)
            #expect(time.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/) != nil, "time \(time) is not RFC 3339")
            #expect(entry["host"] as? String == localHostName())
            #expect(entry["paths"] as? [String] == [source])
            #expect(entry["tags"] as? [String] == [])
        }

        let alias = await sandbox.tessera(["snapshots"])
        #expect(alias.status == 0, "\(describe(alias))")
        for id in ids { #expect(alias.stdout.contains(String(id.prefix(8))), "`snapshots` does not show \(id)") }
        let aliasJSON = await sandbox.tessera(["snapshots", "--json"])
        #expect(jsonArray(aliasJSON.stdout)?.count == 2)
    }

    @Test func tagHostAndTimeAreRecordedAndShown() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try Fixtures.makeSmallTree(at: source)
        let tagged = await sandbox.tessera(["backup", "-q", "--tag", "alpha", "--tag", "beta", "--host", "h1", "--time", "2020-01-02 03:04:05", source])
        #expect(tagged.status == 0, "\(describe(tagged))")
        let plain = await sandbox.tessera(["backup", "-q", source])
        #expect(plain.status == 0, "\(describe(plain))")

        let list = await sandbox.tessera(["snapshot", "list", "--json", "--host", "h1"])
        let array = try #require(jsonArray(list.stdout), "\(describe(list))")
        try #require(array.count == 1, "--host h1 should select one snapshot: \(list.stdout)")
        let entry = array[0]
        #expect(entry["tags"] as? [String] == ["alpha", "beta"])
        #expect(entry["host"] as? String == "h1")
        // The test environment runs tessera with TZ=UTC, so local time is UTC.
        #expect((entry["time"] as? String)?.hasPrefix("2020-01-02T03:04:05") == true, "time: \(entry["time"] ?? "none")")

        let byTag = await sandbox.tessera(["snapshots", "--json", "--tag", "beta"])
        #expect(jsonArray(byTag.stdout)?.compactMap { $0["id"] as? String } == [entry["id"] as? String].compactMap { $0 })

        let table = await sandbox.tessera(["snapshots"])
        let row = try #require(lines(table.stdout).first { $0.contains("h1") }, "no row for host h1:\n\(table.stdout)")
        #expect(row.contains("2020-01-02 03:04:05") && row.contains("alpha,beta"), "row: \(row)")

        let latestOfHost = await sandbox.tessera(["ls", "--json", "latest", "--host", "h1", source])
        #expect(jsonObject(lines(latestOfHost.stdout).first ?? "")?["id"] as? String == entry["id"] as? String)
    }

    // MARK: Parent snapshots

    @Test func unchangedFilesAreNotReadAgain() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try Fixtures.makeAwkwardTree(at: source)
        let fileCount = try scanTree(bytes(source)).values.filter { $0.state.type == UInt32(S_IFREG) }.count
        let first = await sandbox.tessera(["backup", "--json", source])
        let firstCounts = try #require(summary(first), "\(describe(first))")
        #expect(int(firstCounts, "files_new") == fileCount)

        let second = await sandbox.tessera(["backup", "--json", source])
        #expect(second.status == 0, "\(describe(second))")
        let counts = try #require(summary(second), "\(describe(second))")
        #expect(counts["parent"] as? String == firstCounts["snapshot_id"] as? String)
        #expect(int(counts, "files_unchanged") == fileCount)
        #expect(int(counts, "files_new") == 0)
        #expect(int(counts, "files_changed") == 0)
        #expect(int(counts, "bytes_read") == 0)
        #expect(int(counts, "bytes_added") == 0)
    }

    @Test func onlyTheModifiedFileIsReadAgain() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try Fixtures.makeSmallTree(at: source)
        #expect(await sandbox.tessera(["backup", "-q", source]).status == 0)
        let changed = randomBytes(100_000, seed: 77)
        try FS.write(source + "/docs/sub/c.txt", changed)

        let second = await sandbox.tessera(["backup", "--json", source])
        #expect(second.status == 0, "\(describe(second))")
        let counts = try #require(summary(second), "\(describe(second))")
        #expect(int(counts, "files_changed") == 1)
        #expect(int(counts, "files_unchanged") == Fixtures.smallTreeFiles.count - 1)
        #expect(int(counts, "files_new") == 0)
        #expect(int(counts, "bytes_read") == changed.count)

        let target = sandbox.path("target")
        #expect(await sandbox.tessera(["restore", "latest", "--target", target]).status == 0)
        let differences = try compareTrees(source: bytes(source), restored: bytes(target + source))
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
    }

    @Test func insertionInLargeFileAddsLittleData() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try FS.mkdir(source)
        var content = randomBytes(20 << 20, seed: 20)
        try FS.write(source + "/big.bin", content)
        let first = await sandbox.tessera(["backup", "--json", source])
        #expect(first.status == 0, "\(describe(first))")
        #expect(int(summary(first), "bytes_added") == content.count)

        content.insert(contentsOf: randomBytes(100, seed: 21), at: 10 << 20)
        try FS.write(source + "/big.bin", content)
        let second = await sandbox.tessera(["backup", "--json", source])
        #expect(second.status == 0, "\(describe(second))")
        let counts = try #require(summary(second), "\(describe(second))")
        #expect(int(counts, "files_changed") == 1)
        #expect(int(counts, "bytes_read") == content.count)
        let added = try #require(int(counts, "bytes_added"))
        #expect(added < 4 << 20, "inserting 100 bytes added \(added) bytes: chunks are not content-defined")

        let target = sandbox.path("target")
        #expect(await sandbox.tessera(["restore", "latest", "--target", target]).status == 0)
        #expect(try FS.read(target + source + "/big.bin") == content)
    }

    // MARK: Excludes

    @Test func excludeOptionsLeaveOutExactlyTheExcludedPaths() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        let files = [
            "main.c", "main.o", "lib/util.c", "lib/util.o",
            "skipdir/inner.txt", "skipdir/deeper/x.txt", "keepdir/inner.txt",
            "notes.tmp", "keepdir/draft.tmp", "keepdir/kept.tmpx",
            "marked/.nobackup", "marked/data.txt",
            "cache/CACHEDIR.TAG", "cache/blob",
            "fakecache/CACHEDIR.TAG", "fakecache/blob",
        ]
        for directory in ["", "lib", "skipdir", "skipdir/deeper", "keepdir", "marked", "cache", "fakecache"] {
            try FS.mkdir(directory.isEmpty ? source : source + "/" + directory)
        }
        for file in files { try FS.write(source + "/" + file, "content of \(file)\n") }
        try FS.write(source + "/cache/CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n# a cache directory tag\n")
        try FS.write(source + "/fakecache/CACHEDIR.TAG", "Signature: not the real one\n")
        let excludeFile = sandbox.path("excludes.txt")
        try FS.write(excludeFile, "# temporary files\n\n*.tmp\n")

        let backup = await sandbox.tessera([
            "backup", "-q", source, "--exclude", "*.o", "--exclude", source + "/skipdir/**",
            "--exclude-file", excludeFile, "--exclude-if-present", ".nobackup", "--exclude-caches",
        ])
        #expect(backup.status == 0, "\(describe(backup))")
        let listing = await sandbox.tessera(["ls", "--recursive", "latest", source])
        #expect(listing.status == 0, "\(describe(listing))")
        let listed = Set(lines(listing.stdout).map { String($0.dropFirst(source.count + 1)) })

        let expectedPresent: Set<String> = [
            "main.c", "lib", "lib/util.c", "keepdir", "keepdir/inner.txt", "keepdir/kept.tmpx",
            "fakecache", "fakecache/CACHEDIR.TAG", "fakecache/blob",
        ]
        let expectedAbsent: Set<String> = [
            "main.o", "lib/util.o", "skipdir/inner.txt", "skipdir/deeper", "skipdir/deeper/x.txt",
            "notes.tmp", "keepdir/draft.tmp", "marked", "marked/.nobackup", "marked/data.txt",
            "cache", "cache/CACHEDIR.TAG", "cache/blob",
        ]
        #expect(expectedPresent.isSubset(of: listed), "missing: \(expectedPresent.subtracting(listed).sorted())")
        #expect(listed.isDisjoint(with: expectedAbsent), "not excluded: \(listed.intersection(expectedAbsent).sorted())")
        // Nothing else: the only entry left open is skipdir itself (restic keeps or drops it).
        #expect(listed.subtracting(expectedPresent).subtracting(["skipdir"]).isEmpty, "unexpected: \(listed.subtracting(expectedPresent).sorted())")
    }

    @Test func dryRunBackupWritesNoSnapshot() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try Fixtures.makeSmallTree(at: source)
        let packsBefore = try FS.regularFiles(under: sandbox.repo + "/data").count

        let dryRun = await sandbox.tessera(["backup", "--dry-run", "--json", source])
        #expect(dryRun.status == 0, "\(describe(dryRun))")
        let counts = try #require(summary(dryRun), "\(describe(dryRun))")
        #expect(counts["dry_run"] as? Bool == true)
        #expect(int(counts, "files_new") == Fixtures.smallTreeFiles.count)

        let list = await sandbox.tessera(["snapshots", "--json"])
        #expect(list.status == 0, "\(describe(list))")
        #expect(jsonArray(list.stdout)?.isEmpty == true, "a dry run saved a snapshot: \(list.stdout)")
        #expect(try FS.names(sandbox.repo + "/snapshots").isEmpty)
        #expect(try FS.regularFiles(under: sandbox.repo + "/data").count == packsBefore, "a dry run wrote packs")
        #expect(try FS.names(sandbox.repo + "/index").isEmpty, "a dry run wrote an index")
    }
}
