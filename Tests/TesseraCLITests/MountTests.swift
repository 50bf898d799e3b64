import Foundation
import Glibc
import Logging
import Testing
import TesseraCore

/// `tessera mount`, mounted for real through /dev/fuse and read with the
/// tools people use on it.
@Suite("Mount")
struct MountTests {
    @Test func awkwardTreeReadsBackExactlyThroughTheMount() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try Fixtures.makeAwkwardTree(at: source)
        let backup = await sandbox.tessera(["backup", "-q", "--tag", "nightly", source])
        try #require(backup.status == 0, "\(describe(backup))")
        let id = try #require(jsonArray(await sandbox.tessera(["snapshots", "--json"]).stdout)?.first?["short_id"] as? String)

        let mount = try await BackgroundMount(sandbox, at: sandbox.path("mnt"))
        let snapshotFolder = try #require(try FS.names(mount.point + "/snapshots").first { $0 != "latest" })
        #expect(try FS.names(mount.point).sorted() == ["hosts", "ids", "snapshots", "tags"])
        #expect(try FS.readlink(bytes(mount.point + "/snapshots/latest")) == bytes(snapshotFolder))
        #expect(try FS.names(mount.point + "/ids") == [id])
        #expect(try FS.names(mount.point + "/hosts/" + localHostName()) == [snapshotFolder])
        #expect(try FS.names(mount.point + "/tags/nightly") == [snapshotFolder])

        for view in ["/snapshots/latest", "/ids/\(id)", "/tags/nightly/\(snapshotFolder)"] {
            let differences = try compareTrees(source: bytes(source), restored: bytes(mount.point + view + source))
            #expect(differences.isEmpty, "\(view) differs from the source:\n\(differences.joined(separator: "\n"))")
        }
        var sizes = statvfs()
        #expect(statvfs(mount.point, &sizes) == 0 && sizes.f_blocks > 0 && sizes.f_flag & UInt(ST_RDONLY) != 0)

        let stopped = await mount.stop()
        #expect(stopped.status == 0, "\(describe(stopped))")
    }

    @Test func everyKindOfWriteFailsWithEROFS() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try Fixtures.makeSmallTree(at: source)
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)
        let mount = try await BackgroundMount(sandbox, at: sandbox.path("mnt"))
        let inside = mount.point + "/snapshots/latest" + source
        let file = inside + "/" + (try #require(Fixtures.smallTreeFiles.keys.sorted().first))

        func errorOf(_ call: () -> Int32) -> Int32 { call() < 0 ? errno : 0 }
        let attempts: [(String, Int32)] = [
            ("open for writing", errorOf { open(file, O_WRONLY) }),
            ("create", errorOf { open(inside + "/new", O_CREAT | O_WRONLY, 0o644) }),
            ("mkdir", errorOf { mkdir(inside + "/newdir", 0o755) }),
            ("mkdir at the top", errorOf { mkdir(mount.point + "/x", 0o755) }),
            ("unlink", errorOf { unlink(file) }),
            ("rename", errorOf { rename(file, inside + "/renamed") }),
            ("rmdir", errorOf { rmdir(inside + "/docs") }),
            ("symlink", errorOf { symlink("target", inside + "/link") }),
            ("link", errorOf { link(file, inside + "/hardlink") }),
            ("truncate", errorOf { truncate(file, 0) }),
            ("chmod", errorOf { chmod(file, 0o600) }),
            ("setxattr", errorOf { (try? FS.setXattr(bytes(file), "user.new", [1])) == nil ? -1 : 0 }),
        ]
        for (operation, code) in attempts {
            #expect(code == EROFS, "\(operation) gave \(code == 0 ? "success" : String(cString: strerror(code))), not EROFS")
        }
        #expect(try FS.read(file) == Fixtures.smallTreeFiles[Fixtures.smallTreeFiles.keys.sorted().first!])
        let stopped = await mount.stop()
        #expect(stopped.status == 0, "\(describe(stopped))")
    }

    @Test func ctrlCUnmountsCleanlyAndReleasesTheLock() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try Fixtures.makeSmallTree(at: source)
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)
        let mount = try await BackgroundMount(sandbox, at: sandbox.path("mnt"))
        #expect(BackgroundMount.isMounted(mount.point))
        #expect(try FS.names(sandbox.repo + "/locks").count == 1, "the mount holds no lock")

        let stopped = await mount.stop()
        #expect(stopped.status == 0, "\(describe(stopped))")
        #expect(!stopped.stderr.contains("Fatal error"), "\(describe(stopped))")
        #expect(!BackgroundMount.isMounted(mount.point), "still mounted after Ctrl-C")
        #expect(try FS.names(mount.point).isEmpty)
        #expect(try FS.names(sandbox.repo + "/locks").isEmpty, "the mount left its lock")
        #expect(summary(stopped) != nil, "no JSON summary: \(describe(stopped))")
    }

    @Test func aHundredSnapshotsAreListedAndNewOnesAppearWithoutRemounting() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try Fixtures.makeSmallTree(at: source)
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)
        // 99 more snapshots of the same tree, written directly: a hundred backups would take minutes.
        let repository = try await Repository.open(
            backend: LocalBackend(path: sandbox.repo), password: sandbox.password,
            cacheRoot: sandbox.path("writer-cache"), logger: Logger(label: "tessera-e2e-writer")
        )
        let first = try repository.resolveSnapshot("latest").snapshot
        for index in 1..<100 {
            var copy = first
            // Two snapshots per second from 2001 on: every second name needs its `-1`.
            copy.time = Date(timeIntervalSince1970: 978_307_200 + Double(index / 2) + Double(index % 2) / 4)
            copy.host = index % 3 == 0 ? "host-b" : "host-a"
            copy.tags = index % 10 == 0 ? ["tenth"] : []
            _ = try await repository.saveSnapshot(copy)
        }

        let mount = try await BackgroundMount(sandbox, at: sandbox.path("mnt"))
        let names = try FS.names(mount.point + "/snapshots")
        #expect(names.count == 101, "\(names.count) entries in snapshots/")
        #expect(names.filter { $0.hasSuffix("-1") }.count == 49)
        #expect(try FS.names(mount.point + "/ids").count == 100)
        #expect(try FS.names(mount.point + "/hosts/host-b").count == 33)
        #expect(try FS.names(mount.point + "/tags/tenth").count == 9)
        for name in names.prefix(5) + names.suffix(2) {
            #expect(try FS.names(mount.point + "/snapshots/" + name + source).sorted() == ["data", "docs"] + Fixtures.smallTreeFiles.keys.filter { !$0.contains("/") }.sorted())
        }

        // A backup while mounted shows up within a few seconds.
        try FS.write(source + "/added.txt", "new\n")
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)
        let deadline = Date().addingTimeInterval(10)
        var seen = false
        while !seen, Date() < deadline {
            seen = FS.exists(mount.point + "/snapshots/latest" + source + "/added.txt")
            if !seen { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(seen, "the new snapshot did not appear within 10 s")
        // Listings the kernel cached are dropped once the snapshot list changes.
        #expect(try FS.names(mount.point + "/ids").count == 101)
        #expect(try FS.names(mount.point + "/snapshots").count == 102)
        let stopped = await mount.stop()
        #expect(stopped.status == 0, "\(describe(stopped))")
    }

    @Test func aFewBytesInTheMiddleOfALargeFileLoadOnlyTheirChunk() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try FS.mkdir(source)
        let content = randomBytes(48 << 20, seed: 90)
        try FS.write(source + "/large.bin", content)
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)

        let mount = try await BackgroundMount(sandbox, at: sandbox.path("mnt"))
        let path = mount.point + "/snapshots/latest" + source + "/large.bin"
        let descriptor = open(path, O_RDONLY)
        try #require(descriptor >= 0)
        var buffer = [UInt8](repeating: 0, count: 16)
        let offset = 24 << 20
        #expect(pread(descriptor, &buffer, 16, off_t(offset)) == 16)
        close(descriptor)
        #expect(buffer == Array(content[offset..<offset + 16]))

        let stopped = await mount.stop()
        #expect(stopped.status == 0, "\(describe(stopped))")
        let counts = try #require(summary(stopped), "no JSON summary: \(describe(stopped))")
        let loaded = try #require(int(counts, "blobs_loaded"))
        let bytesLoaded = try #require(int(counts, "bytes_loaded"))
        // The kernel may round the read up to 128 KiB, which can cross one chunk boundary.
        #expect(loaded >= 1 && loaded <= 2, "\(loaded) chunks loaded for a 16-byte read")
        #expect(bytesLoaded <= 16 << 20, "\(bytesLoaded) bytes loaded for a 16-byte read")
    }

    @Test func sequentialReadOfALargeFileIsExactAndLoadsEachChunkOnce() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try FS.mkdir(source)
        try FS.write(source + "/large.bin", randomBytes(40 << 20, seed: 91))
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)
        let stats = await sandbox.tessera(["stats", "--json"])
        let blobs = try #require(int(jsonObject(stats.stdout), "data_blobs"), "\(describe(stats))")

        let mount = try await BackgroundMount(sandbox, at: sandbox.path("mnt"))
        #expect(try sameContent(bytes(source + "/large.bin"), bytes(mount.point + "/snapshots/latest" + source + "/large.bin")))
        let stopped = await mount.stop()
        let counts = try #require(summary(stopped), "no JSON summary: \(describe(stopped))")
        // Read-ahead and the kernel's parallel reads share loads: no chunk is fetched twice.
        #expect(int(counts, "blobs_loaded") == blobs, "\(describe(stopped)) vs \(blobs) data blobs")
    }

    @Test func copyingAFolderReadsAheadIntoThePageCacheAndLoadsEachChunkOnce() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try FS.mkdir(source)
        // Small files of every size around a page, and a few of several chunks.
        for index in 0..<300 {
            try FS.write(source + String(format: "/f%03d", index), randomBytes(1 + index * 997 % 70_000, seed: UInt64(1000 + index)))
        }
        for index in 0..<3 { try FS.write(source + "/large\(index)", randomBytes((6 << 20) + 123 * index, seed: UInt64(2000 + index))) }
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)
        let stats = await sandbox.tessera(["stats", "--json"])
        let blobs = try #require(int(jsonObject(stats.stdout), "data_blobs"), "\(describe(stats))")

        let mount = try await BackgroundMount(sandbox, at: sandbox.path("mnt"))
        let copied = sandbox.path("cp")
        let cp = await runTool("/bin/cp", ["-a", mount.point + "/snapshots/latest" + source, copied])
        #expect(cp.status == 0, "cp -a: \(cp.output)")
        let differences = try compareTrees(source: bytes(source), restored: bytes(copied))
        #expect(differences.isEmpty, "cp -a copy differs:\n\(differences.joined(separator: "\n"))")
        let stopped = await mount.stop()
        let counts = try #require(summary(stopped), "no JSON summary: \(describe(stopped))")
        // Most of the bytes reached cp through the page cache, stored before it asked.
        let total = 300 * 35_000 + 3 * (6 << 20)
        let readAhead = try #require(int(counts, "bytes_read_ahead"))
        #expect(readAhead > total / 2, "only \(readAhead) of about \(total) bytes read ahead")
        // Read-ahead and the kernel's own reads share loads: no chunk is fetched twice.
        #expect(int(counts, "blobs_loaded") == blobs, "\(describe(stopped)) vs \(blobs) data blobs")
    }

    @Test func aWalkThatOnlyListsLeavesFileInodesOutAndTheTreeStaysExact() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try FS.mkdir(source)
        for folder in 0..<40 {
            let path = source + String(format: "/d%02d", folder)
            try FS.mkdir(path)
            for file in 0..<5 { try FS.write(path + "/f\(file)", randomBytes(100 + folder * 5 + file, seed: UInt64(folder * 5 + file))) }
        }
        // A hardlink pair across folders: both names must come back as one inode.
        #expect(link(source + "/d00/f0", source + "/d39/linked") == 0)
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)

        let mount = try await BackgroundMount(sandbox, at: sandbox.path("mnt"))
        let inside = mount.point + "/snapshots/latest" + source
        // Names only: find stats no file, so after a few listings files get no inode.
        let found = await runTool("/usr/bin/find", [inside, "-printf", "%P\n"])
        let expected = await runTool("/usr/bin/find", [source, "-printf", "%P\n"])
        #expect(found.status == 0 && lines(found.output).sorted() == lines(expected.output).sorted(), "find through the mount: \(found.output.prefix(500))")
        // Then the files are used: each is looked up on its own, with the right
        // attributes, content and shared inode.
        let differences = try compareTrees(source: bytes(source), restored: bytes(inside))
        #expect(differences.isEmpty, "the mount differs from the source after a find:\n\(differences.joined(separator: "\n"))")

        let stopped = await mount.stop()
        #expect(stopped.status == 0, "\(describe(stopped))")
        let counts = try #require(summary(stopped), "no JSON summary: \(describe(stopped))")
        let bare = try #require(int(counts, "files_listed_without_inode"))
        // src and d00...d14 are the quiet listings that turn entries off; d15...d39 follow.
        #expect(bare >= 25 * 5, "only \(bare) files listed without an inode")
    }

    @Test func aDamagedChunkFailsThatReadWithEIOAndNamesTheFile() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository(["--pack-size", "1"])
        let source = sandbox.path("src")
        try FS.mkdir(source)
        try FS.write(source + "/good.bin", randomBytes(2 << 20, seed: 92))
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)
        try FS.write(source + "/bad.bin", randomBytes(2 << 20, seed: 93))
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)
        // Damage bad.bin's first chunk (found through TesseraCore, independently of the mount).
        let repository = try await Repository.open(
            backend: LocalBackend(path: sandbox.repo), password: sandbox.password,
            cacheRoot: sandbox.path("inspect-cache"), logger: Logger(label: "tessera-e2e-inspect")
        )
        var tree = try await repository.loadTree(try repository.resolveSnapshot("latest").snapshot.tree)
        for component in source.split(separator: "/") {
            tree = try await repository.loadTree(try #require(tree.node(named: bytes(String(component)))?.subtree))
        }
        let bad = try #require(tree.node(named: bytes("bad.bin")))
        guard case .chunk(let chunkID, _) = try #require(bad.content.first) else { throw TestFailure("bad.bin starts with a hole") }
        let location = try #require(try repository.index.locations(of: chunkID).first)
        let pack = location.pack.hex
        try FS.corrupt(sandbox.repo + "/data/" + pack.prefix(2) + "/" + pack, at: Int(location.blob.offset) + Int(location.blob.length) / 2, count: 8)

        let mount = try await BackgroundMount(sandbox, at: sandbox.path("mnt"))
        let inside = mount.point + "/snapshots/latest" + source
        let descriptor = open(inside + "/bad.bin", O_RDONLY)
        try #require(descriptor >= 0)
        var buffer = [UInt8](repeating: 0, count: 4096)
        let result = read(descriptor, &buffer, 4096)
        let code = errno
        close(descriptor)
        #expect(result < 0 && code == EIO, "reading the damaged file gave \(result) (\(String(cString: strerror(code))))")
        #expect(try sameContent(bytes(source + "/good.bin"), bytes(inside + "/good.bin")), "the undamaged file is not readable")

        let stopped = await mount.stop()
        #expect(stopped.status == 0, "\(describe(stopped))")
        #expect(stopped.stderr.contains(source + "/bad.bin"), "no log line names the file: \(describe(stopped))")
        #expect(!stopped.stderr.contains("Fatal error"), "\(describe(stopped))")
    }

    @Test func unusableMountPointsGetTheirOwnMessage() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try Fixtures.makeSmallTree(at: source)
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)

        let full = sandbox.path("full")
        try FS.mkdir(full)
        try FS.write(full + "/file", "x")
        let notEmpty = await sandbox.tessera(["mount", full])
        #expect(notEmpty.status == 1 && notEmpty.stderr.contains("not empty"), "\(describe(notEmpty))")

        let live = try await BackgroundMount(sandbox, at: sandbox.path("mnt"))
        let busy = await sandbox.tessera(["mount", live.point])
        #expect(busy.status == 1 && busy.stderr.contains("busy"), "\(describe(busy))")

        live.process.signal(SIGKILL)
        _ = await live.process.wait()
        let dead = await sandbox.tessera(["mount", live.point])
        #expect(dead.status == 1 && dead.stderr.contains("fusermount3 -u \(live.point)"), "\(describe(dead))")
        BackgroundMount.forceUnmount(live.point)
        #expect(!BackgroundMount.isMounted(live.point))
    }

    @Test func filesCopiedOutWithCpRsyncAndGioAreExact() async throws {
        let sandbox = try Sandbox()
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try Fixtures.makeAwkwardTree(at: source)
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)
        let mount = try await BackgroundMount(sandbox, at: sandbox.path("mnt"))
        let inside = mount.point + "/snapshots/latest" + source

        let copied = sandbox.path("cp")
        let cp = await runTool("/bin/cp", ["-a", inside, copied])
        #expect(cp.status == 0, "cp -a: \(cp.output)")
        let cpDifferences = try compareTrees(source: bytes(source), restored: bytes(copied))
        #expect(cpDifferences.isEmpty, "cp -a copy differs:\n\(cpDifferences.joined(separator: "\n"))")

        let synced = sandbox.path("rsync")
        let rsync = await runTool("/usr/bin/rsync", ["-aHAX", "--sparse", inside + "/", synced])
        #expect(rsync.status == 0, "rsync -aHAX: \(rsync.output)")
        let rsyncDifferences = try compareTrees(source: bytes(source), restored: bytes(synced))
        #expect(rsyncDifferences.isEmpty, "rsync -aHAX copy differs:\n\(rsyncDifferences.joined(separator: "\n"))")

        // gio copies one file at a time, as a file manager does; it keeps times to the microsecond.
        let gioTarget = sandbox.path("gio")
        try FS.mkdir(gioTarget)
        for name in try FS.names(source) where FS.lstat(source + "/" + name).map({ $0.st_mode & S_IFMT == S_IFREG }) == true {
            let result = await runTool("/usr/bin/gio", ["copy", "--preserve", "-P", inside + "/" + name, gioTarget + "/" + name])
            #expect(result.status == 0, "gio copy \(name): \(result.output)")
            let original = try #require(FS.lstat(source + "/" + name))
            let copy = try #require(FS.lstat(gioTarget + "/" + name))
            #expect(try sameContent(bytes(source + "/" + name), bytes(gioTarget + "/" + name)), "\(name): content differs")
            #expect(copy.st_mode == original.st_mode, "\(name): mode \(String(copy.st_mode, radix: 8)) vs \(String(original.st_mode, radix: 8))")
            #expect(copy.st_mtim.tv_sec == original.st_mtim.tv_sec && copy.st_mtim.tv_nsec / 1000 == original.st_mtim.tv_nsec / 1000, "\(name): mtime differs")
        }
        let stopped = await mount.stop()
        #expect(stopped.status == 0, "\(describe(stopped))")
    }

    @Test func onlyTheMountingUserSeesTheMountUnlessAllowOther() async throws {
        let sandbox = try Sandbox(reachableByEveryone: true)
        try await sandbox.initRepository()
        let source = sandbox.path("src")
        try FS.mkdir(source)
        try FS.write(source + "/public.txt", "anyone may read this\n")
        try #require(await sandbox.tessera(["backup", "-q", source]).status == 0)
        let asNobody = ["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        let file = "/snapshots/latest" + source + "/public.txt"

        let privateMount = try await BackgroundMount(sandbox, at: sandbox.path("private"))
        let refused = await runTool(asNobody[0], Array(asNobody.dropFirst()) + ["/bin/cat", privateMount.point + file])
        #expect(refused.status != 0 && refused.output.contains("Permission denied"), "another user read a private mount: \(refused.output)")
        #expect(await privateMount.stop().status == 0)

        let sharedMount = try await BackgroundMount(sandbox, at: sandbox.path("shared"), arguments: ["--allow-other"])
        let allowed = await runTool(asNobody[0], Array(asNobody.dropFirst()) + ["/bin/cat", sharedMount.point + file])
        #expect(allowed.status == 0 && allowed.output == "anyone may read this\n", "\(allowed.output)")
        #expect(await sharedMount.stop().status == 0)
    }
}
