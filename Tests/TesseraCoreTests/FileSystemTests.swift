import Glibc
import Testing
@testable import TesseraCore

@Suite("File system: reading for backup")
struct FileSystemTests {
    @Test func entryNamesAreRawBytesSortedBytewise() throws {
        let scratch = try FileSystemScratch()
        let names: [[UInt8]] = [
            [0xff, 0xfe, 0x41],  // not UTF-8
            [UInt8](repeating: UInt8(ascii: "x"), count: 255),  // the longest a name can be
            rawName("line\nbreak"),
            rawName("B"),
            rawName("a"),
            rawName("é"),
            rawName("-"),
        ]
        for name in names { try scratch.writeFile(name, []) }
        try scratch.makeDirectory(rawName("dir"))

        let listed = try scratch.handle.entryNames()
        let expected = (names + [rawName("dir")]).sorted { $0.lexicographicallyPrecedes($1) }
        #expect(listed == expected)
        #expect(!listed.contains(rawName(".")) && !listed.contains(rawName("..")))
        #expect(try scratch.handle.openDirectory(rawName("dir")).entryNames().isEmpty)
    }

    @Test func nodeOfAFile() throws {
        let scratch = try FileSystemScratch()
        let name = rawName("setuid-program")
        try scratch.writeFile(name, rawName("hello"))
        try scratch.changeMode(name, 0o6755)  // setuid and setgid

        let node = try scratch.handle.node(name, names: OwnerNames())
        let raw = try scratch.lstatus(name)
        #expect(node.name == name)
        #expect(node.type == .file)
        #expect(node.mode == 0o6755)
        #expect(node.size == 5)
        #expect(node.links == 1)
        #expect(node.inode == UInt64(raw.st_ino))
        #expect(node.device == UInt64(raw.st_dev))
        #expect(node.uid == getuid() && node.gid == getgid())
        if getuid() == 0 {
            #expect(node.user == "root" && node.group == "root")
        }
        #expect(node.linkTarget.isEmpty && node.content.isEmpty && node.subtree == nil)
    }

    @Test func nodeOfAStickyDirectory() throws {
        let scratch = try FileSystemScratch()
        try scratch.makeDirectory(rawName("shared"))
        try scratch.changeMode(rawName("shared"), 0o1777)

        let node = try scratch.handle.node(rawName("shared"), names: OwnerNames())
        #expect(node.type == .directory)
        #expect(node.mode == 0o1777)
        #expect(node.size == 0)
        let opened = try scratch.handle.openDirectory(rawName("shared"))
        #expect(try opened.status().inode == node.inode)
        #expect(try scratch.handle.status().type == .directory)
    }

    @Test func nodeOfASymlinkKeepsTheTargetBytes() throws {
        let scratch = try FileSystemScratch()
        let target: [UInt8] = rawName("../somewhere/") + [0xc3, 0x28] + rawName("/\nx")
        try scratch.makeSymlink(rawName("link"), target: target)
        // Longer than readLink's first buffer.
        let longTarget = [UInt8]((0..<3000).map { UInt8(ascii: $0 % 100 == 99 ? "/" : "a") })
        try scratch.makeSymlink(rawName("long"), target: longTarget)

        let node = try scratch.handle.node(rawName("link"), names: OwnerNames())
        #expect(node.type == .symlink)
        #expect(node.linkTarget == target)
        #expect(node.size == 0)
        #expect(try scratch.handle.readLink(rawName("long")) == longTarget)
    }

    @Test func nodeOfAFifoDoesNotBlock() throws {
        let scratch = try FileSystemScratch()
        #expect(mkfifo(scratch.cPath(rawName("pipe")), 0o640) == 0)
        let node = try scratch.handle.node(rawName("pipe"), names: OwnerNames())
        #expect(node.type == .fifo)
        #expect(node.mode == 0o640)
        #expect(node.size == 0 && node.rdev == 0)
    }

    @Test func hardLinksShareDeviceAndInode() throws {
        let scratch = try FileSystemScratch()
        try scratch.writeFile(rawName("one"), rawName("data"))
        #expect(link(scratch.cPath(rawName("one")), scratch.cPath(rawName("two"))) == 0)

        let names = OwnerNames()
        let one = try scratch.handle.node(rawName("one"), names: names)
        let two = try scratch.handle.node(rawName("two"), names: names)
        #expect(one.links == 2 && two.links == 2)
        #expect(one.device == two.device && one.inode == two.inode)
    }

    @Test func extendedAttributesWithBinaryValues() throws {
        let scratch = try FileSystemScratch()
        try scratch.writeFile(rawName("file"), [])
        let binary: [UInt8] = [0, 1, 2, 0xff, 0xfe, 0, 10]
        #expect(try scratch.setAttribute(rawName("file"), "user.zeta", binary) == 0)
        #expect(try scratch.setAttribute(rawName("file"), "user.alpha", rawName("text")) == 0)
        #expect(try scratch.setAttribute(rawName("file"), "user.empty", []) == 0)

        let attributes = try scratch.handle.extendedAttributes(rawName("file"))
        #expect(attributes == [
            ExtendedAttribute(name: rawName("user.alpha"), value: rawName("text")),
            ExtendedAttribute(name: rawName("user.empty"), value: []),
            ExtendedAttribute(name: rawName("user.zeta"), value: binary),
        ])
        #expect(try scratch.handle.node(rawName("file"), names: OwnerNames()).xattrs == attributes)
        // A large value, beyond any small first buffer.
        let large = [UInt8]((0..<3000).map { UInt8(truncatingIfNeeded: $0) })
        #expect(try scratch.setAttribute(rawName("file"), "user.large", large) == 0)
        #expect(try scratch.handle.extendedAttributes(rawName("file")).first { $0.name == rawName("user.large") }?.value == large)
    }

    @Test func extendedAttributesOfASymlinkAreItsOwn() throws {
        let scratch = try FileSystemScratch()
        try scratch.writeFile(rawName("target"), [])
        #expect(try scratch.setAttribute(rawName("target"), "user.of-target", rawName("t")) == 0)
        try scratch.makeSymlink(rawName("link"), target: rawName("target"))

        // Linux refuses user.* on symlinks (EPERM); trusted.* needs CAP_SYS_ADMIN.
        #expect(try scratch.setAttribute(rawName("link"), "user.x", rawName("v")) == EPERM)
        let trusted = try scratch.setAttribute(rawName("link"), "trusted.tessera", [0, 0xff])
        let attributes = try scratch.handle.extendedAttributes(rawName("link"))
        if trusted == 0 {
            #expect(attributes == [ExtendedAttribute(name: rawName("trusted.tessera"), value: [0, 0xff])])
        } else {
            #expect(attributes.isEmpty)  // not root: at least the target's are not reported
        }
        #expect(!attributes.contains { $0.name == rawName("user.of-target") })
    }

    @Test func timesKeepNanosecondsAndDatesBefore1970() throws {
        let scratch = try FileSystemScratch()
        try scratch.writeFile(rawName("old"), [])
        let mtime = FileTime(seconds: -1_234_567_890, nanoseconds: 987_654_321)  // 1930
        let atime = FileTime(seconds: 1_700_000_000, nanoseconds: 123_456_789)
        try scratch.setTimes(rawName("old"), atime: atime, mtime: mtime)
        try scratch.makeSymlink(rawName("link"), target: rawName("old"))
        let linkTime = FileTime(seconds: -1, nanoseconds: 1)
        try scratch.setTimes(rawName("link"), atime: linkTime, mtime: linkTime)

        let node = try scratch.handle.node(rawName("old"), names: OwnerNames())
        #expect(node.mtime == mtime)
        #expect(node.atime == atime)
        #expect(node.ctime.seconds > 1_600_000_000)
        let link = try scratch.handle.node(rawName("link"), names: OwnerNames())
        #expect(link.mtime == linkTime && link.atime == linkTime)
    }

    @Test func symlinksAreNeverFollowed() throws {
        let scratch = try FileSystemScratch()
        try scratch.makeDirectory(rawName("real"))
        try scratch.writeFile(rawName("file"), rawName("x"))
        try scratch.makeSymlink(rawName("to-dir"), target: rawName("real"))
        try scratch.makeSymlink(rawName("to-file"), target: rawName("file"))

        let directoryError = fileSystemError { _ = try scratch.handle.openDirectory(rawName("to-dir")) }
        #expect(directoryError?.code == ELOOP || directoryError?.code == ENOTDIR)
        let fileError = fileSystemError { _ = try scratch.handle.openFile(rawName("to-file")) }
        #expect(fileError?.code == ELOOP)
        #expect(try scratch.handle.status(rawName("to-dir")).type == .symlink)
    }

    @Test(arguments: [rawName(".."), rawName("."), rawName(""), rawName("a/b"), rawName("/etc"), [UInt8(ascii: "a"), 0]])
    func namesThatAreNotOneComponentAreRefused(name: [UInt8]) throws {
        let scratch = try FileSystemScratch()
        #expect(fileSystemError { _ = try scratch.handle.status(name) }?.code == EINVAL)
        #expect(fileSystemError { _ = try scratch.handle.openDirectory(name) }?.code == EINVAL)
        #expect(fileSystemError { _ = try scratch.handle.createFile(name, mode: 0o644) }?.code == EINVAL)
        #expect(fileSystemError { try scratch.handle.remove(name) }?.code == EINVAL)
    }

    @Test func readAtOffsets() throws {
        let scratch = try FileSystemScratch()
        let content = [UInt8]((0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        try scratch.writeFile(rawName("file"), content)
        let file = try scratch.handle.openFile(rawName("file"))
        #expect(try file.status().size == 10_000)

        var buffer = [UInt8](repeating: 0, count: 100)
        let count = try buffer.withUnsafeMutableBytes { try file.read(into: $0, at: 5000) }
        #expect(count == 100)
        #expect(buffer == Array(content[5000..<5100]))
        let tail = try buffer.withUnsafeMutableBytes { try file.read(into: $0, at: 9950) }
        #expect(tail == 50)
        #expect(try buffer.withUnsafeMutableBytes { try file.read(into: $0, at: 10_000) } == 0)

        // Opened without blocking on FIFOs (harmless for regular files, whose reads
        // above returned everything); the owner (root included) reads without
        // touching the access time.
        let flags = fcntl(file.descriptor, F_GETFL)
        #expect(flags & O_NONBLOCK != 0)
        #expect(flags & LinuxConstants.openNoAccessTime != 0)
    }

    @Test func readsFilesOfOtherOwners() throws {
        // Not our file unless we are root: O_NOATIME is refused and dropped.
        let etc = try DirectoryHandle.open(path: rawName("/etc"))
        let file = try etc.openFile(rawName("passwd"))
        var buffer = [UInt8](repeating: 0, count: 5)
        #expect(try buffer.withUnsafeMutableBytes { try file.read(into: $0, at: 0) } == 5)
        #expect(buffer == rawName("root:"))
    }

    @Test func oneHandleServesManyTasks() async throws {
        let scratch = try FileSystemScratch()
        for index in 0..<50 { try scratch.writeFile(rawName("file-\(index)"), [UInt8(index)]) }
        let handle = scratch.handle
        let listings = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    let names = try handle.entryNames()
                    for name in names { _ = try handle.node(name, names: OwnerNames()) }
                    return names.count
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(listings == Array(repeating: 50, count: 8))
    }

    @Test func dataRegionsOfASparseFile() throws {
        let scratch = try FileSystemScratch()
        let mebibyte: UInt64 = 1 << 20
        let block = [UInt8](repeating: 0xab, count: 4096)
        do {
            let file = try scratch.handle.createFile(rawName("sparse"), mode: 0o644)
            try block.withUnsafeBytes { try file.write($0, at: 0) }
            try block.withUnsafeBytes { try file.write($0, at: 10 * mebibyte) }
            try file.truncate(to: 20 * mebibyte)
        }
        let file = try scratch.handle.openFile(rawName("sparse"))
        let status = try file.status()
        #expect(status.size == 20 * mebibyte)
        #expect(status.blocks * 512 < 1 * mebibyte)  // really sparse

        let regions = try file.dataRegions(size: status.size)
        #expect(regions.count == 2)
        if regions.count == 2 {
            #expect(regions[0].lowerBound == 0 && regions[0].upperBound >= 4096)
            #expect(regions[0].upperBound < 10 * mebibyte)
            #expect(regions[1].lowerBound <= 10 * mebibyte && regions[1].lowerBound >= regions[0].upperBound)
            #expect(regions[1].upperBound >= 10 * mebibyte + 4096 && regions[1].upperBound < 20 * mebibyte)
        }
        // The data is really there.
        var buffer = [UInt8](repeating: 0, count: 4096)
        _ = try buffer.withUnsafeMutableBytes { try file.read(into: $0, at: 10 * mebibyte) }
        #expect(buffer == block)
    }

    @Test func dataRegionsOfDenseEmptyAndHoleOnlyFiles() throws {
        let scratch = try FileSystemScratch()
        try scratch.writeFile(rawName("dense"), [UInt8](repeating: 1, count: 100_000))
        try scratch.writeFile(rawName("empty"), [])
        let dense = try scratch.handle.openFile(rawName("dense"))
        #expect(try dense.dataRegions(size: 100_000) == [0..<100_000])
        // A size smaller than the file clips the region.
        #expect(try dense.dataRegions(size: 10) == [0..<10])
        #expect(try scratch.handle.openFile(rawName("empty")).dataRegions(size: 0) == [])

        do {
            let holes = try scratch.handle.createFile(rawName("holes"), mode: 0o600)
            try holes.truncate(to: 1 << 20)
        }
        #expect(try scratch.handle.openFile(rawName("holes")).dataRegions(size: 1 << 20) == [])
    }

    @Test func errorsNameThePathAndTheReason() throws {
        let scratch = try FileSystemScratch()
        let error = fileSystemError { _ = try scratch.handle.openFile(rawName("missing")) }
        #expect(error?.code == ENOENT)
        #expect(error?.path == PathBytes.join(scratch.path, rawName("missing")))
        let description = error?.description ?? ""
        #expect(description.contains(PathBytes.display(scratch.path) + "/missing"))
        #expect(description.contains("No such file or directory"))
        #expect(description.hasPrefix("cannot open "))

        let nonUTF8 = fileSystemError { _ = try scratch.handle.status([0xff, 0x41]) }
        #expect(nonUTF8?.description.contains("/\\xffA: No such file or directory") == true)

        let openError = fileSystemError { _ = try DirectoryHandle.open(path: scratch.path + rawName("/nope")) }
        #expect(openError?.description == "cannot open \(PathBytes.display(scratch.path))/nope: No such file or directory")
    }

    @Test func ownerNamesLookUpAndCache() async throws {
        let names = OwnerNames()
        #expect(names.user(0) == "root")
        #expect(names.group(0) == "root")
        #expect(names.uid(named: "root") == 0)
        #expect(names.gid(named: "root") == 0)
        #expect(names.user(3_999_999_999) == "")
        #expect(names.group(3_999_999_999) == "")
        #expect(names.uid(named: "no-such-user-tessera") == nil)
        #expect(names.gid(named: "") == nil)
        // Shared between tasks.
        let results = await withTaskGroup(of: String.self) { group in
            for _ in 0..<16 { group.addTask { names.user(0) + names.group(0) } }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: "rootroot", count: 16))
    }
}
