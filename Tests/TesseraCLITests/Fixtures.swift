import Foundation
import Glibc

/// Source trees the tests back up.
enum Fixtures {
    static let nonUTF8Name: RawPath = [UInt8(ascii: "f"), 0xff, 0xfe] + bytes(".bin")
    /// Valid UTF-8, spelled like the escaped form of `nonUTF8Name`.
    static let lookalikeName = bytes("f\\xff\\xfe.bin")
    static let newlineName = bytes("line\nbreak")
    static let longName = RawPath(repeating: UInt8(ascii: "n"), count: 255)
    static let duplicateSize = 512 << 10

    /// Everything a file system can hold that a backup must bring back exactly.
    /// Times are set last, deepest first, so directory mtimes are the ones given.
    static func makeAwkwardTree(at root: String) throws {
        let src = bytes(root)
        try FS.mkdir(src)

        // Names.
        try FS.write(join(src, "empty"), [])
        try FS.write(join(src, "random-3MiB"), randomBytes(3 << 20, seed: 1))
        try FS.write(join(src, nonUTF8Name), bytes("not utf-8\n"))
        try FS.write(join(src, lookalikeName), bytes("valid UTF-8 that looks like the escaped invalid name\n"))
        try FS.write(join(src, newlineName), bytes("newline in the name\n"))
        try FS.write(join(src, longName), bytes("a 255-byte name\n"))
        var deep = join(src, "deep")
        try FS.mkdir(deep)
        for level in 1...30 {
            deep = join(deep, "d\(level)")
            try FS.mkdir(deep)
        }
        try FS.write(join(deep, "leaf.txt"), bytes("thirty levels down\n"))

        // The same content twice (deduplicated), and a hardlink pair across folders.
        let duplicate = randomBytes(duplicateSize, seed: 2)
        try FS.mkdir(join(src, "dup"))
        try FS.write(join(src, "dup/one.bin"), duplicate)
        try FS.mkdir(join(src, "dup/other"))
        try FS.write(join(src, "dup/other/two.bin"), duplicate)
        try FS.mkdir(join(src, "links"))
        try FS.mkdir(join(src, "links/a"))
        try FS.mkdir(join(src, "links/b"))
        try FS.write(join(src, "links/a/hard1"), randomBytes(70_000, seed: 3))
        try FS.link(join(src, "links/a/hard1"), at: join(src, "links/b/hard2"))

        // Symlinks.
        try FS.mkdir(join(src, "sym"))
        try FS.symlink(bytes("../random-3MiB"), at: join(src, "sym/relative"))
        try FS.symlink(bytes("/etc/hostname"), at: join(src, "sym/absolute"))
        try FS.symlink(bytes("does/not/exist"), at: join(src, "sym/dangling"))
        try FS.symlink(bytes("../deep"), at: join(src, "sym/to-dir"))
        try FS.symlink([0xff, UInt8(ascii: "/"), 0xfe], at: join(src, "sym/binary-target"))
        try FS.lchown(join(src, "sym/absolute"), uid: 1234, gid: 5678)

        // Special files.
        try FS.mkdir(join(src, "special"))
        try FS.mkfifo(join(src, "special/fifo"), mode: 0o620)
        try FS.mknodCharacter(join(src, "special/null-device"), major: 1, minor: 3, mode: 0o666)

        // Extended attributes with binary values, on a file and a directory.
        try FS.mkdir(join(src, "xattr"))
        try FS.write(join(src, "xattr/file"), bytes("has attributes\n"))
        try FS.setXattr(join(src, "xattr/file"), "user.binary", [0, 1, 2, 0xff, 0xfe, 0, 0x80])
        try FS.setXattr(join(src, "xattr/file"), "user.text", bytes("hello"))
        try FS.setXattr(join(src, "xattr/file"), "user.empty", [])
        try FS.setXattr(join(src, "xattr"), "user.on-dir", [0xde, 0xad, 0x00, 0xbe, 0xef])
        try FS.setXattr(join(src, "xattr/file"), "user.large", randomBytes(3000, seed: 7))

        // A sparse file: 4 KiB of data at 0 and at 8 MiB, 16 MiB long.
        try FS.writeSparse(join(src, "sparse"), size: 16 << 20, pieces: [
            (0, randomBytes(4096, seed: 4)), (8 << 20, randomBytes(4096, seed: 5)),
        ])

        // A hole at the start, and a file that is all hole.
        try FS.writeSparse(join(src, "sparse-leading-hole"), size: 3 << 20, pieces: [(1 << 20, randomBytes(5000, seed: 6))])
        try FS.writeSparse(join(src, "sparse-all-hole"), size: 5 << 20, pieces: [])

        // More hardlinks: three names for one file, and a file whose other name is outside the tree.
        try FS.write(join(src, "links/triple1"), bytes("three names\n"))
        try FS.link(join(src, "links/triple1"), at: join(src, "links/a/triple2"))
        try FS.link(join(src, "links/triple1"), at: join(src, "links/b/triple3"))
        try FS.write(join(src, "links/half-linked"), bytes("the other name is outside\n"))
        try FS.link(join(src, "links/half-linked"), at: bytes(root + "-outside-link"))

        // POSIX ACLs (stored as system.posix_acl_* attributes): an access ACL on a file,
        // a default ACL on a folder, inherited by the file made in it.
        try FS.mkdir(join(src, "acl"))
        try FS.write(join(src, "acl/file"), bytes("with an ACL\n"))
        try FS.setXattr(join(src, "acl/file"), "system.posix_acl_access", posixACL(user: 1234))
        try FS.mkdir(join(src, "acl/inheriting"))
        try FS.setXattr(join(src, "acl/inheriting"), "system.posix_acl_default", posixACL(user: 4321))
        try FS.write(join(src, "acl/inheriting/child"), bytes("inherits the default ACL\n"))

        // Many small files in one folder.
        try FS.mkdir(join(src, "many"))
        for index in 0..<300 {
            try FS.write(join(src, "many/file-\(index)"), bytes("small file number \(index)\n"))
        }

        // Modes and owners (owner first: chown clears setuid/setgid).
        try FS.mkdir(join(src, "modes"))
        for (name, mode) in [("setuid", 0o4755), ("setgid", 0o2755), ("none", 0o000), ("private", 0o600)] {
            try FS.write(join(src, "modes/\(name)"), bytes("\(name)\n"))
            try FS.chmod(join(src, "modes/\(name)"), mode_t(mode))
        }
        try FS.mkdir(join(src, "modes/sticky"), mode: 0o1777)
        try FS.mkdir(join(src, "modes/closed"))
        try FS.write(join(src, "modes/closed/inside"), bytes("in a folder with mode 000\n"))
        try FS.chmod(join(src, "modes/closed"), 0o000)
        try FS.mkdir(join(src, "modes/setgid-dir"), mode: 0o2755)
        try FS.write(join(src, "modes/setgid-dir/inside"), bytes("x"))
        try FS.mkdir(join(src, "owned"))
        try FS.write(join(src, "owned/file"), bytes("owned by 1234:5678\n"))
        try FS.lchown(join(src, "owned/file"), uid: 1234, gid: 5678)
        try FS.mkdir(join(src, "owned/dir"), mode: 0o750)
        try FS.lchown(join(src, "owned/dir"), uid: 1234, gid: 5678)
        try FS.write(join(src, "owned/setuid-1234"), bytes("#!/bin/sh\n"))
        try FS.lchown(join(src, "owned/setuid-1234"), uid: 1234, gid: 5678)
        try FS.chmod(join(src, "owned/setuid-1234"), 0o4750)

        // Times: distinct nanoseconds everywhere, one before 1970; directories after their contents.
        try FS.mkdir(join(src, "times"))
        try FS.write(join(src, "times/before-1970"), bytes("old\n"))
        var counter = 0
        func stamp(_ path: RawPath) throws {
            guard let info = FS.lstat(path) else { return }
            if info.st_mode & S_IFMT == S_IFDIR {
                for name in try FS.names(path) { try stamp(join(path, name)) }
            }
            counter += 1
            if path == join(src, "times/before-1970") {
                try FS.setMtime(path, seconds: -1_000_000_000, nanoseconds: 987_654_321)
            } else {
                try FS.setMtime(path, seconds: 1_600_000_000 + counter * 3_601, nanoseconds: (counter * 123_456_789) % 1_000_000_000 + 1)
            }
        }
        try stamp(src)
    }

    /// The binary form of a POSIX ACL (`user::rw-, user:<user>:rw-, group::r--, mask::rw-, other::r--`).
    static func posixACL(user: UInt32) -> [UInt8] {
        func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xff), UInt8(value >> 8)] }
        func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xff) } }
        let undefined = UInt32.max
        let entries: [(tag: UInt16, permissions: UInt16, id: UInt32)] = [
            (0x01, 6, undefined), (0x02, 6, user), (0x04, 4, undefined), (0x10, 6, undefined), (0x20, 4, undefined),
        ]
        return le32(2) + entries.flatMap { le16($0.tag) + le16($0.permissions) + le32($0.id) }
    }

    /// A small tree for restore options and listings:
    /// top.txt, docs/a.txt, docs/b.log, docs/sub/c.txt, docs/sub/d.log, data/blob.bin.
    static let smallTreeFiles: [String: [UInt8]] = [
        "top.txt": bytes("top\n"),
        "docs/a.txt": bytes("alpha\n"),
        "docs/b.log": bytes("log line\n"),
        "docs/sub/c.txt": bytes("gamma gamma\n"),
        "docs/sub/d.log": bytes("another log\n"),
        "data/blob.bin": randomBytes(64 << 10, seed: 9),
    ]
    static let smallTreeDirectories = ["docs", "docs/sub", "data"]

    static func makeSmallTree(at root: String) throws {
        try FS.mkdir(root)
        for directory in smallTreeDirectories { try FS.mkdir(root + "/" + directory) }
        for (path, content) in smallTreeFiles { try FS.write(root + "/" + path, content) }
    }
}
