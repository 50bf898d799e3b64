import Glibc
import Testing
@testable import TesseraCore

@Suite("File system: restore operations")
struct RestoreOperationsTests {
    /// Checks that `restored` carries everything restore promises to keep.
    private func expectRestored(
        _ restored: Node, equals original: Node, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(restored.name == original.name, sourceLocation: sourceLocation)
        #expect(restored.type == original.type, sourceLocation: sourceLocation)
        #expect(restored.mode == original.mode, sourceLocation: sourceLocation)
        #expect(restored.uid == original.uid, sourceLocation: sourceLocation)
        #expect(restored.gid == original.gid, sourceLocation: sourceLocation)
        #expect(restored.mtime == original.mtime, sourceLocation: sourceLocation)
        #expect(restored.atime == original.atime, sourceLocation: sourceLocation)
        #expect(restored.size == original.size, sourceLocation: sourceLocation)
        #expect(restored.linkTarget == original.linkTarget, sourceLocation: sourceLocation)
        #expect(restored.xattrs == original.xattrs, sourceLocation: sourceLocation)
        #expect(restored.rdev == original.rdev, sourceLocation: sourceLocation)
    }

    private let mtime = FileTime(seconds: -86_400 * 365 * 5, nanoseconds: 123_456_789)
    private let atime = FileTime(seconds: 1_600_000_000, nanoseconds: 999_999_999)

    private var runningAsRoot: Bool { geteuid() == 0 }

    @Test func fileRoundTrip() throws {
        let source = try FileSystemScratch(), target = try FileSystemScratch()
        let name: [UInt8] = rawName("prog-") + [0xff]
        try source.writeFile(name, rawName("#!/bin/sh\necho hi\n"))
        try source.setAttribute(name, "user.binary", [0, 0xff, 7])
        try source.setAttribute(name, "user.text", rawName("hello"))
        if runningAsRoot {
            #expect(chown(source.cPath(name), 1234, 5678) == 0)
        }
        try source.changeMode(name, 0o4750)  // setuid must survive the chown on restore
        try source.setTimes(name, atime: atime, mtime: mtime)
        let names = OwnerNames()
        let original = try source.handle.node(name, names: names)

        let content = try source.readFile(name)
        do {
            let file = try target.handle.createFile(name, mode: original.mode)
            try content.withUnsafeBytes { try file.write($0, at: 0) }
            try file.sync()
        }
        try target.handle.applyMetadata(name, of: original, owner: runningAsRoot, names: names)

        let restored = try target.handle.node(name, names: names)
        expectRestored(restored, equals: original)
        #expect(try target.readFile(name) == content)
        if runningAsRoot {
            #expect(restored.uid == 1234 && restored.gid == 5678)
            #expect(restored.mode == 0o4750)
        }
    }

    @Test func directoryRoundTrip() throws {
        let source = try FileSystemScratch(), target = try FileSystemScratch()
        try source.makeDirectory(rawName("dir"))
        try source.changeMode(rawName("dir"), 0o3750)  // setgid and sticky
        try source.setAttribute(rawName("dir"), "user.dir", [1, 2, 3])
        if runningAsRoot { #expect(lchown(source.cPath(rawName("dir")), 1234, 5678) == 0) }
        try source.setTimes(rawName("dir"), atime: atime, mtime: mtime)
        let names = OwnerNames()
        let original = try source.handle.node(rawName("dir"), names: names)

        try target.handle.makeDirectory(rawName("dir"), mode: 0o700)
        try target.handle.makeDirectory(rawName("dir"), mode: 0o700)  // an existing directory is fine
        let child = try target.handle.openDirectory(rawName("dir"))
        _ = try child.createFile(rawName("inside"), mode: 0o600)
        // Metadata last, after the contents, so the mtime stays.
        try target.handle.applyMetadata(rawName("dir"), of: original, owner: runningAsRoot, names: names)

        expectRestored(try target.handle.node(rawName("dir"), names: names), equals: original)
    }

    @Test func symlinkRoundTrip() throws {
        let source = try FileSystemScratch(), target = try FileSystemScratch()
        let linkTarget: [UInt8] = rawName("/does/not/exist/") + [0x80, 0x0a]
        try source.makeSymlink(rawName("link"), target: linkTarget)
        let trusted = try source.setAttribute(rawName("link"), "trusted.tessera", [9, 0, 9])
        if runningAsRoot {
            #expect(trusted == 0)
            #expect(lchown(source.cPath(rawName("link")), 1234, 5678) == 0)
        }
        try source.setTimes(rawName("link"), atime: atime, mtime: mtime)
        let names = OwnerNames()
        let original = try source.handle.node(rawName("link"), names: names)
        #expect(original.linkTarget == linkTarget)

        try target.handle.makeSymlink(rawName("link"), target: original.linkTarget)
        try target.handle.applyMetadata(rawName("link"), of: original, owner: runningAsRoot, names: names)
        expectRestored(try target.handle.node(rawName("link"), names: names), equals: original)
    }

    @Test(arguments: [NodeType.fifo, .socket, .characterDevice, .blockDevice])
    func specialFileRoundTrip(type: NodeType) throws {
        let source = try FileSystemScratch(), target = try FileSystemScratch()
        // /dev/null's and /dev/loop0's numbers, in the kernel's encoding (major << 8 | minor).
        let rdev: dev_t = type == .characterDevice ? 0x103 : type == .blockDevice ? 0x700 : 0
        let result = mknod(source.cPath(rawName("special")), FileStatus.modeBits(of: type) | 0o640, rdev)
        guard result == 0 else {
            // Devices need CAP_MKNOD; nothing else to check without it.
            #expect(!runningAsRoot && (type == .characterDevice || type == .blockDevice))
            return
        }
        try source.setAttribute(rawName("special"), "user.special", rawName("v"))
        if runningAsRoot { #expect(lchown(source.cPath(rawName("special")), 1234, 5678) == 0) }
        try source.setTimes(rawName("special"), atime: atime, mtime: mtime)
        let names = OwnerNames()
        let original = try source.handle.node(rawName("special"), names: names)
        #expect(original.type == type)
        #expect(original.rdev == UInt64(rdev))

        try target.handle.makeSpecial(rawName("special"), type: type, mode: original.mode, rdev: original.rdev)
        try target.handle.applyMetadata(rawName("special"), of: original, owner: runningAsRoot, names: names)
        expectRestored(try target.handle.node(rawName("special"), names: names), equals: original)
    }

    @Test func makeSpecialRefusesOtherTypes() throws {
        let target = try FileSystemScratch()
        for type in [NodeType.file, .directory, .symlink] {
            let error = fileSystemError { try target.handle.makeSpecial(rawName("x"), type: type, mode: 0o644, rdev: 0) }
            #expect(error?.code == EINVAL)
        }
        #expect(try target.handle.entryNames().isEmpty)
    }

    @Test func hardLinkRoundTrip() throws {
        let target = try FileSystemScratch()
        try target.makeDirectory(rawName("a"))
        try target.makeDirectory(rawName("b"))
        let first = try target.handle.openDirectory(rawName("a"))
        let second = try target.handle.openDirectory(rawName("b"))
        _ = try first.createFile(rawName("one"), mode: 0o644)
        try second.makeHardLink(rawName("two"), to: (directory: first, name: rawName("one")))
        // A symlink is linked itself, not its target.
        try first.makeSymlink(rawName("link"), target: rawName("one"))
        try second.makeHardLink(rawName("link-too"), to: (directory: first, name: rawName("link")))

        let names = OwnerNames()
        let one = try first.node(rawName("one"), names: names)
        let two = try second.node(rawName("two"), names: names)
        #expect(one.links == 2 && two.links == 2)
        #expect(one.device == two.device && one.inode == two.inode)
        let linkToo = try second.node(rawName("link-too"), names: names)
        #expect(linkToo.type == .symlink && linkToo.links == 2 && linkToo.linkTarget == rawName("one"))

        let error = fileSystemError { try second.makeHardLink(rawName("two"), to: (directory: first, name: rawName("one"))) }
        #expect(error?.code == EEXIST)
        #expect(error?.description.contains("/a/one as ") == true)
    }

    @Test func ownersAreMappedByNameThenByNumber() throws {
        guard runningAsRoot else { return }
        let target = try FileSystemScratch()
        let names = OwnerNames()
        _ = try target.handle.createFile(rawName("by-name"), mode: 0o644)
        _ = try target.handle.createFile(rawName("by-number"), mode: 0o644)

        // The name wins over the number recorded at backup time.
        let known = Node(name: rawName("by-name"), type: .file, mode: 0o640, uid: 1234, gid: 5678, user: "root", group: "root")
        try target.handle.applyMetadata(rawName("by-name"), of: known, owner: true, names: names)
        let byName = try target.handle.status(rawName("by-name"))
        #expect(byName.uid == 0 && byName.gid == 0)

        // An unknown name falls back to the number.
        let unknown = Node(name: rawName("by-number"), type: .file, mode: 0o640, uid: 1234, gid: 5678,
                           user: "no-such-user-tessera", group: "no-such-group-tessera")
        try target.handle.applyMetadata(rawName("by-number"), of: unknown, owner: true, names: names)
        let byNumber = try target.handle.status(rawName("by-number"))
        #expect(byNumber.uid == 1234 && byNumber.gid == 5678)

        // owner: false leaves the owner alone.
        try target.handle.applyMetadata(rawName("by-name"), of: unknown, owner: false, names: names)
        #expect(try target.handle.status(rawName("by-name")).uid == 0)
    }

    @Test func sparseFileRestore() throws {
        let target = try FileSystemScratch()
        let mebibyte: UInt64 = 1 << 20
        let block = [UInt8](repeating: 0x5a, count: 4096)
        do {
            let file = try target.handle.createFile(rawName("sparse"), mode: 0o600)
            try block.withUnsafeBytes { try file.write($0, at: 10 * mebibyte) }
            try file.truncate(to: 20 * mebibyte)
        }
        let file = try target.handle.openFile(rawName("sparse"))
        #expect(try file.status().size == 20 * mebibyte)
        let regions = try file.dataRegions(size: 20 * mebibyte)
        #expect(regions.count == 1)
        #expect(regions.first.map { $0.contains(10 * mebibyte) && !$0.contains(0) } == true)
    }

    // MARK: - A hostile restore target

    @Test func createFileDoesNotFollowAPlantedSymlink() throws {
        let outside = try FileSystemScratch(), target = try FileSystemScratch()
        try outside.writeFile(rawName("secret"), rawName("original"), mode: 0o600)
        try target.makeSymlink(rawName("victim"), target: PathBytes.join(outside.path, rawName("secret")))
        try target.makeSymlink(rawName("dangling"), target: PathBytes.join(outside.path, rawName("created")))

        let error = fileSystemError { _ = try target.handle.createFile(rawName("victim"), mode: 0o644) }
        #expect(error?.code == EEXIST)
        let danglingError = fileSystemError { _ = try target.handle.createFile(rawName("dangling"), mode: 0o644) }
        #expect(danglingError?.code == EEXIST)

        #expect(try outside.readFile(rawName("secret")) == rawName("original"))
        #expect(try outside.handle.entryNames() == [rawName("secret")])
        #expect(try outside.handle.status(rawName("secret")).mode == 0o600)
    }

    @Test func aPlantedDirectorySymlinkIsNotEntered() throws {
        let outside = try FileSystemScratch(), target = try FileSystemScratch()
        try target.makeSymlink(rawName("sub"), target: outside.path)

        #expect(fileSystemError { try target.handle.makeDirectory(rawName("sub"), mode: 0o755) }?.code == EEXIST)
        let openError = fileSystemError { _ = try target.handle.openDirectory(rawName("sub")) }
        #expect(openError?.code == ELOOP || openError?.code == ENOTDIR)
        #expect(try outside.handle.entryNames().isEmpty)
    }

    @Test func applyMetadataDoesNotFollowAPlantedSymlink() throws {
        let outside = try FileSystemScratch(), target = try FileSystemScratch()
        try outside.writeFile(rawName("secret"), rawName("x"), mode: 0o600)
        let before = try outside.handle.node(rawName("secret"), names: OwnerNames())
        // Where restore expects its file, someone put a symlink.
        try target.makeSymlink(rawName("file"), target: PathBytes.join(outside.path, rawName("secret")))

        let node = Node(name: rawName("file"), type: .file, mode: 0o4777, uid: 1234, gid: 5678,
                        mtime: mtime, atime: atime,
                        xattrs: [ExtendedAttribute(name: rawName("user.evil"), value: [1])])
        let error = fileSystemError {
            try target.handle.applyMetadata(rawName("file"), of: node, owner: runningAsRoot, names: OwnerNames())
        }
        #expect(error != nil)

        let after = try outside.handle.node(rawName("secret"), names: OwnerNames())
        #expect(after.mode == before.mode && after.uid == before.uid && after.gid == before.gid)
        #expect(after.mtime == before.mtime && after.xattrs == before.xattrs)
    }

    @Test func removeDeletesTreesButNotWhatSymlinksPointTo() throws {
        let outside = try FileSystemScratch(), target = try FileSystemScratch()
        try outside.writeFile(rawName("keep"), rawName("k"))
        try target.makeDirectory(rawName("tree"))
        try target.makeDirectory(rawName("tree/deep"))
        try target.makeDirectory(rawName("tree/deep/er"))
        try target.writeFile(rawName("tree/deep/er/file"), rawName("f"))
        // Read-only directories are no obstacle to root (like rm -rf, others cannot empty them).
        if runningAsRoot { try target.changeMode(rawName("tree/deep/er"), 0o500) }
        try target.makeDirectory(rawName("tree/empty"))
        try target.makeSymlink(rawName("tree/escape"), target: outside.path)
        try target.makeSymlink(rawName("tree/deep/file-link"), target: PathBytes.join(outside.path, rawName("keep")))
        try target.writeFile(rawName("plain"), [])
        try target.makeSymlink(rawName("top-link"), target: outside.path)

        try target.handle.remove(rawName("tree"))
        try target.handle.remove(rawName("plain"))
        try target.handle.remove(rawName("top-link"))
        #expect(try target.handle.entryNames().isEmpty)
        #expect(try outside.readFile(rawName("keep")) == rawName("k"))

        #expect(fileSystemError { try target.handle.remove(rawName("gone")) }?.code == ENOENT)
    }

    @Test func makeDirectoryOverAFileFails() throws {
        let target = try FileSystemScratch()
        try target.writeFile(rawName("file"), [])
        let error = fileSystemError { try target.handle.makeDirectory(rawName("file"), mode: 0o755) }
        #expect(error?.code == EEXIST)
        #expect(error?.description.contains("cannot create directory ") == true)
    }
}
