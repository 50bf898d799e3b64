import Foundation
import Glibc

// Helpers shared by the end-to-end tests. Everything here talks to the kernel
// through Glibc directly (never through TesseraCore), so that the product is
// checked against an independent reading of the file system.

// MARK: - Paths as bytes

/// A path as raw bytes: Linux names need not be UTF-8.
typealias RawPath = [UInt8]

func bytes(_ text: String) -> RawPath { Array(text.utf8) }

/// `parent/child` for byte paths.
func join(_ parent: RawPath, _ child: RawPath) -> RawPath {
    if parent.isEmpty { return child }
    return parent + [UInt8(ascii: "/")] + child
}

func join(_ parent: RawPath, _ child: String) -> RawPath { join(parent, bytes(child)) }

/// For messages: UTF-8 where valid, `\xNN` otherwise, newlines escaped.
func show(_ path: RawPath) -> String {
    var out = ""
    for byte in path {
        switch byte {
        case 0x20..<0x7f where byte != UInt8(ascii: "\\"): out.unicodeScalars.append(Unicode.Scalar(byte))
        default: out += String(format: "\\x%02x", byte)
        }
    }
    return out
}

private func cPath(_ path: RawPath) -> [CChar] { path.map { CChar(bitPattern: $0) } + [0] }

private func check(_ result: Int32, _ operation: String, _ path: RawPath) throws {
    if result != 0 { throw TestFailure("\(operation) \(show(path)): \(String(cString: strerror(errno)))") }
}

// MARK: - Deterministic data

/// Pseudo-random bytes from a seed (SplitMix64): the same seed always gives the same bytes.
func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var result = [UInt8](repeating: 0, count: count)
    result.withUnsafeMutableBytes { buffer in
        guard let base = buffer.baseAddress else { return }
        var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 0x1234_5678
        var offset = 0
        while offset < count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            if offset + 8 <= count {
                base.storeBytes(of: z.littleEndian, toByteOffset: offset, as: UInt64.self)
            } else {
                withUnsafeBytes(of: z.littleEndian) { word in
                    for index in 0..<(count - offset) { base.storeBytes(of: word[index], toByteOffset: offset + index, as: UInt8.self) }
                }
            }
            offset += 8
        }
    }
    return result
}

// MARK: - Making fixtures

enum FS {
    static func write(_ path: RawPath, _ content: [UInt8], mode: mode_t = 0o644) throws {
        let descriptor = open(cPath(path), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw TestFailure("create \(show(path)): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        try writeAll(descriptor, content, at: 0, path: path)
    }

    static func write(_ path: String, _ content: [UInt8], mode: mode_t = 0o644) throws { try write(bytes(path), content, mode: mode) }
    static func write(_ path: String, _ text: String) throws { try write(bytes(path), bytes(text)) }

    static func writeAll(_ descriptor: Int32, _ content: [UInt8], at offset: Int, path: RawPath) throws {
        var done = 0
        while done < content.count {
            let written = content.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + done, content.count - done, off_t(offset + done)) }
            guard written > 0 else { throw TestFailure("write \(show(path)): \(String(cString: strerror(errno)))") }
            done += written
        }
    }

    /// A file of `size` bytes with `pieces` written at their offsets and holes elsewhere.
    static func writeSparse(_ path: RawPath, size: Int, pieces: [(offset: Int, bytes: [UInt8])]) throws {
        let descriptor = open(cPath(path), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw TestFailure("create \(show(path)): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        for piece in pieces { try writeAll(descriptor, piece.bytes, at: piece.offset, path: path) }
        try check(ftruncate(descriptor, off_t(size)), "truncate", path)
    }

    static func read(_ path: RawPath) throws -> [UInt8] {
        let descriptor = open(cPath(path), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw TestFailure("open \(show(path)): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var result = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw TestFailure("read \(show(path)): \(String(cString: strerror(errno)))") }
            if count == 0 { return result }
            result += buffer[0..<count]
        }
    }

    static func read(_ path: String) throws -> [UInt8] { try read(bytes(path)) }

    static func mkdir(_ path: RawPath, mode: mode_t = 0o755) throws {
        try check(Glibc.mkdir(cPath(path), mode), "mkdir", path)
        try check(Glibc.chmod(cPath(path), mode), "chmod", path)  // without the umask
    }

    static func mkdir(_ path: String, mode: mode_t = 0o755) throws { try mkdir(bytes(path), mode: mode) }

    /// `mkdir -p`.
    static func mkdirs(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    static func symlink(_ target: RawPath, at path: RawPath) throws {
        try check(Glibc.symlink(cPath(target), cPath(path)), "symlink", path)
    }

    static func link(_ existing: RawPath, at path: RawPath) throws {
        try check(Glibc.link(cPath(existing), cPath(path)), "link", path)
    }

    static func mkfifo(_ path: RawPath, mode: mode_t = 0o640) throws {
        try check(Glibc.mkfifo(cPath(path), mode), "mkfifo", path)
        try check(Glibc.chmod(cPath(path), mode), "chmod", path)
    }

    /// A character device (root only). `makedev(major, minor)` spelled out for small numbers.
    static func mknodCharacter(_ path: RawPath, major: UInt64, minor: UInt64, mode: mode_t = 0o640) throws {
        let device = dev_t((major & 0xfff) << 8 | (minor & 0xff) | (minor & ~0xff) << 12)
        try check(Glibc.mknod(cPath(path), S_IFCHR | mode, device), "mknod", path)
    }

    static func chmod(_ path: RawPath, _ mode: mode_t) throws { try check(Glibc.chmod(cPath(path), mode), "chmod", path) }
    static func chmod(_ path: String, _ mode: mode_t) throws { try chmod(bytes(path), mode) }

    static func lchown(_ path: RawPath, uid: uid_t, gid: gid_t) throws {
        try check(Glibc.lchown(cPath(path), uid, gid), "lchown", path)
    }

    /// Sets the modification time (and the access time to the same) without following a symlink.
    static func setMtime(_ path: RawPath, seconds: Int, nanoseconds: Int) throws {
        let time = timespec(tv_sec: seconds, tv_nsec: nanoseconds)
        let times = [time, time]
        try check(utimensat(AT_FDCWD, cPath(path), times, AT_SYMLINK_NOFOLLOW), "utimensat", path)
    }

    static func lstat(_ path: RawPath) -> stat? {
        var info = stat()
        return Glibc.lstat(cPath(path), &info) == 0 ? info : nil
    }

    static func lstat(_ path: String) -> stat? { lstat(bytes(path)) }

    static func exists(_ path: RawPath) -> Bool { lstat(path) != nil }
    static func exists(_ path: String) -> Bool { lstat(path) != nil }

    static func readlink(_ path: RawPath) throws -> RawPath {
        var buffer = [CChar](repeating: 0, count: 8192)
        let length = Glibc.readlink(cPath(path), &buffer, buffer.count)
        guard length >= 0 else { throw TestFailure("readlink \(show(path)): \(String(cString: strerror(errno)))") }
        return buffer[0..<length].map { UInt8(bitPattern: $0) }
    }

    /// The names in a directory (raw bytes, without "." and ".."), sorted, via opendir/readdir.
    static func names(_ path: RawPath) throws -> [RawPath] {
        guard let stream = opendir(cPath(path)) else { throw TestFailure("opendir \(show(path)): \(String(cString: strerror(errno)))") }
        defer { closedir(stream) }
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        var result = [RawPath]()
        while let entry = readdir(stream) {
            let pointer = (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self)
            let name = Array(UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)))
            if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            result.append(name)
        }
        return result.sorted { $0.lexicographicallyPrecedes($1) }
    }

    static func names(_ path: String) throws -> [String] { try names(bytes(path)).map { String(decoding: $0, as: UTF8.self) } }

    // The xattr calls are not in Swift's Glibc module; glibc exports them.
    private typealias ListXattr = @convention(c) (UnsafePointer<CChar>, UnsafeMutablePointer<CChar>?, Int) -> Int
    private typealias GetXattr = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeMutableRawPointer?, Int) -> Int
    private typealias SetXattr = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeRawPointer?, Int, Int32) -> Int32
    private static let listXattr = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "llistxattr")!, to: ListXattr.self)
    private static let getXattr = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "lgetxattr")!, to: GetXattr.self)
    private static let setXattr = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "lsetxattr")!, to: SetXattr.self)

    static func setXattr(_ path: RawPath, _ name: String, _ value: [UInt8]) throws {
        let result = value.withUnsafeBytes { setXattr(cPath(path), name, $0.baseAddress, value.count, 0) }
        try check(result, "lsetxattr \(name)", path)
    }

    /// All extended attributes (name → value), not following a symlink.
    static func xattrs(_ path: RawPath) throws -> [RawPath: [UInt8]] {
        let size = listXattr(cPath(path), nil, 0)
        if size < 0 {
            if errno == ENOTSUP { return [:] }
            throw TestFailure("llistxattr \(show(path)): \(String(cString: strerror(errno)))")
        }
        if size == 0 { return [:] }
        var list = [CChar](repeating: 0, count: size)
        let listed = listXattr(cPath(path), &list, list.count)
        guard listed >= 0 else { throw TestFailure("llistxattr \(show(path)): \(String(cString: strerror(errno)))") }
        var result = [RawPath: [UInt8]]()
        for name in list[0..<listed].split(separator: 0) {
            let cName = Array(name) + [0]
            let length = getXattr(cPath(path), cName, nil, 0)
            guard length >= 0 else { throw TestFailure("lgetxattr \(show(path)): \(String(cString: strerror(errno)))") }
            var value = [UInt8](repeating: 0, count: length)
            let got = value.withUnsafeMutableBytes { getXattr(cPath(path), cName, $0.baseAddress, length) }
            guard got >= 0 else { throw TestFailure("lgetxattr \(show(path)): \(String(cString: strerror(errno)))") }
            result[name.map { UInt8(bitPattern: $0) }] = Array(value[0..<got])
        }
        return result
    }

    /// Flips `count` bytes at `offset` of a file in place (for damage tests).
    static func corrupt(_ path: String, at offset: Int, count: Int) throws {
        let descriptor = open(path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { throw TestFailure("open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: count)
        guard pread(descriptor, &buffer, count, off_t(offset)) == count else { throw TestFailure("pread \(path)") }
        for index in buffer.indices { buffer[index] ^= 0xff }
        guard pwrite(descriptor, buffer, count, off_t(offset)) == count else { throw TestFailure("pwrite \(path)") }
        fsync(descriptor)
    }

    /// Regular files below `path`, recursively (absolute paths).
    static func regularFiles(under path: String) throws -> [String] {
        var result = [String]()
        for name in try names(bytes(path)) {
            let child = path + "/" + String(decoding: name, as: UTF8.self)
            guard let info = lstat(child) else { continue }
            if info.st_mode & S_IFMT == S_IFDIR { result += try regularFiles(under: child) }
            if info.st_mode & S_IFMT == S_IFREG { result.append(child) }
        }
        return result
    }
}

// MARK: - Comparing trees

/// What the comparison looks at for one entry (lstat, readlink, xattrs).
struct EntryState: Equatable, CustomStringConvertible {
    var type: UInt32
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var size: Int64
    var mtimeSeconds: Int
    var mtimeNanoseconds: Int
    var rdev: UInt64
    var linkTarget: RawPath?
    var xattrs: [RawPath: [UInt8]]

    var description: String {
        let kind = switch type {
        case UInt32(S_IFREG): "file"
        case UInt32(S_IFDIR): "dir"
        case UInt32(S_IFLNK): "symlink"
        case UInt32(S_IFIFO): "fifo"
        case UInt32(S_IFCHR): "chardev"
        case UInt32(S_IFBLK): "blockdev"
        default: "other"
        }
        var text = "\(kind) mode=\(String(mode, radix: 8)) owner=\(uid):\(gid) size=\(size) mtime=\(mtimeSeconds).\(String(format: "%09d", mtimeNanoseconds))"
        if type == UInt32(S_IFCHR) || type == UInt32(S_IFBLK) { text += " rdev=\(rdev)" }
        if let linkTarget { text += " -> \(show(linkTarget))" }
        if !xattrs.isEmpty {
            text += " xattrs={" + xattrs.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { "\(show($0))=\(xattrs[$0]!.map { String(format: "%02x", $0) }.joined())" }.joined(separator: ",") + "}"
        }
        return text
    }
}

struct ScannedEntry {
    var state: EntryState
    var inode: UInt64
    var links: UInt64
    var blocks: Int64
}

/// Every entry below (and including) `root`, by path relative to it ("" is the root).
func scanTree(_ root: RawPath) throws -> [RawPath: ScannedEntry] {
    var result = [RawPath: ScannedEntry]()
    func visit(_ relative: RawPath) throws {
        let full = relative.isEmpty ? root : join(root, relative)
        guard let info = FS.lstat(full) else { throw TestFailure("lstat \(show(full)): \(String(cString: strerror(errno)))") }
        let type = UInt32(info.st_mode & S_IFMT)
        let state = EntryState(
            type: type, mode: UInt32(info.st_mode) & 0o7777, uid: info.st_uid, gid: info.st_gid,
            size: type == UInt32(S_IFDIR) ? 0 : Int64(info.st_size),
            mtimeSeconds: info.st_mtim.tv_sec, mtimeNanoseconds: info.st_mtim.tv_nsec,
            rdev: type == UInt32(S_IFCHR) || type == UInt32(S_IFBLK) ? UInt64(info.st_rdev) : 0,
            linkTarget: type == UInt32(S_IFLNK) ? try FS.readlink(full) : nil,
            xattrs: try FS.xattrs(full)
        )
        result[relative] = ScannedEntry(state: state, inode: UInt64(info.st_ino), links: UInt64(info.st_nlink), blocks: Int64(info.st_blocks))
        if type == UInt32(S_IFDIR) {
            for name in try FS.names(full) { try visit(join(relative, name)) }
        }
    }
    try visit([])
    return result
}

/// Whether two files have the same bytes (read in pieces, so large files are fine).
func sameContent(_ first: RawPath, _ second: RawPath) throws -> Bool {
    let a = open(cPath(first), O_RDONLY | O_CLOEXEC)
    guard a >= 0 else { throw TestFailure("open \(show(first)): \(String(cString: strerror(errno)))") }
    defer { close(a) }
    let b = open(cPath(second), O_RDONLY | O_CLOEXEC)
    guard b >= 0 else { throw TestFailure("open \(show(second)): \(String(cString: strerror(errno)))") }
    defer { close(b) }
    var bufferA = [UInt8](repeating: 0, count: 1 << 20)
    var bufferB = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let countA = bufferA.withUnsafeMutableBytes { readFully(a, $0) }
        let countB = bufferB.withUnsafeMutableBytes { readFully(b, $0) }
        if countA != countB { return false }
        if countA <= 0 { return countA == 0 }
        if memcmp(bufferA, bufferB, countA) != 0 { return false }
    }
}

private func readFully(_ descriptor: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
    var done = 0
    while done < buffer.count {
        let got = read(descriptor, buffer.baseAddress! + done, buffer.count - done)
        if got < 0 { return -1 }
        if got == 0 { break }
        done += got
    }
    return done
}

/// Compares a restored tree with its source, entry by entry: type, mode, owner,
/// size, mtime (ns), device numbers, symlink targets, xattrs, file content,
/// which files share an inode (hardlinks), and that sparse files stay sparse.
/// Returns the differences (empty when the trees match).
func compareTrees(source: RawPath, restored: RawPath) throws -> [String] {
    let expected = try scanTree(source)
    let actual = try scanTree(restored)
    var differences = [String]()
    for path in expected.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
        let name = path.isEmpty ? "(root)" : show(path)
        guard let want = expected[path] else { continue }
        guard let got = actual[path] else {
            differences.append("\(name): missing from the restore")
            continue
        }
        if want.state != got.state {
            differences.append("\(name): expected \(want.state), restored \(got.state)")
        }
        if want.state.type == UInt32(S_IFREG), got.state.type == UInt32(S_IFREG) {
            let sourcePath = path.isEmpty ? source : join(source, path)
            let restoredPath = path.isEmpty ? restored : join(restored, path)
            if try !sameContent(sourcePath, restoredPath) { differences.append("\(name): content differs") }
            // Sparse in the source: the restore must leave (about) the same holes.
            if want.blocks * 512 < want.state.size / 2, got.blocks > want.blocks + 128 {
                differences.append("\(name): sparse file restored with \(got.blocks) blocks allocated, source has \(want.blocks)")
            }
        }
    }
    for path in actual.keys where expected[path] == nil {
        differences.append("\(show(path)): restored but not in the source")
    }
    // Hardlinks: the restored files must share inodes exactly as the source files do.
    func groups(_ entries: [RawPath: ScannedEntry]) -> Set<Set<RawPath>> {
        var byInode = [UInt64: Set<RawPath>]()
        for (path, entry) in entries where entry.state.type == UInt32(S_IFREG) { byInode[entry.inode, default: []].insert(path) }
        return Set(byInode.values)
    }
    let expectedGroups = groups(expected).filter { $0.count > 1 }
    let actualGroups = groups(actual).filter { $0.count > 1 }
    if expectedGroups != actualGroups {
        differences.append("hardlinks differ: source shares inodes among \(expectedGroups.map { $0.map(show).sorted() }), restore among \(actualGroups.map { $0.map(show).sorted() })")
    }
    return differences
}

// MARK: - JSON output

/// Parses one line of JSON output as an object.
func jsonObject(_ line: some StringProtocol) -> [String: Any]? {
    guard let data = String(line).data(using: .utf8),
          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
    return object
}

func jsonArray(_ text: String) -> [[String: Any]]? {
    guard let data = text.data(using: .utf8),
          let array = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return nil }
    return array
}

func lines(_ text: String) -> [Substring] { text.split(separator: "\n", omittingEmptySubsequences: true) }

/// The `--json` summary: the last stdout line, which must have message_type "summary".
func summary(_ output: TesseraProcess.Output) -> [String: Any]? {
    guard let last = lines(output.stdout).last, let object = jsonObject(last), object["message_type"] as? String == "summary" else { return nil }
    return object
}

/// An integer field of a JSON object (JSONSerialization gives NSNumber).
func int(_ object: [String: Any]?, _ key: String) -> Int? {
    (object?[key] as? NSNumber)?.intValue
}

/// This machine's host name, as gethostname(2) gives it.
func localHostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    gethostname(&buffer, buffer.count - 1)
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
