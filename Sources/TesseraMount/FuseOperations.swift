import CFuse
import Foundation
import TesseraCore

/// The libfuse low-level operation table. Each entry is a C function that
/// finds the filesystem through the session's user data and answers the
/// request; operations not set here (every write, create, rename, delete)
/// are refused by the kernel with EROFS on this read-only mount.
enum FuseOperations {
    static func table() -> fuse_lowlevel_ops {
        var ops = fuse_lowlevel_ops()
        ops.`init` = { userdata, connection in
            guard let connection, let userdata else { return }
            let fileSystem = Unmanaged<SnapshotFileSystem>.fromOpaque(userdata).takeUnretainedValue()
            // Symlinks never change: let the kernel cache their targets.
            if connection.pointee.capable & UInt32(FUSE_CAP_CACHE_SYMLINKS) != 0 {
                connection.pointee.want |= UInt32(FUSE_CAP_CACHE_SYMLINKS)
            }
            // Every listing hands the kernel its entries' attributes (not only
            // the first, as the adaptive mode does): no lookup per file when a
            // copy opens them, and read-ahead can store pages for files the
            // kernel knows.
            if connection.pointee.capable & UInt32(FUSE_CAP_READDIRPLUS) != 0 {
                connection.pointee.want |= UInt32(FUSE_CAP_READDIRPLUS)
                connection.pointee.want &= ~UInt32(FUSE_CAP_READDIRPLUS_AUTO)
            }
            // Files need no open handle: answering the first open with ENOSYS
            // tells the kernel to skip opens and releases from then on (and
            // keep the page cache, as keep_cache does).
            if connection.pointee.capable & UInt32(FUSE_CAP_NO_OPEN_SUPPORT) != 0 {
                connection.pointee.want |= UInt32(FUSE_CAP_NO_OPEN_SUPPORT)
                fileSystem.opensSkipped.store(true, ordering: .relaxed)
            }
            // Folders need none either: readdir finds the listing by inode. The
            // kernel then also caches every listing (as cache_readdir does); a
            // made-up folder's new modification time drops it when snapshots change.
            if connection.pointee.capable & UInt32(FUSE_CAP_NO_OPENDIR_SUPPORT) != 0 {
                connection.pointee.want |= UInt32(FUSE_CAP_NO_OPENDIR_SUPPORT)
                fileSystem.folderOpensSkipped.store(true, ordering: .relaxed)
            }
        }
        ops.lookup = { raw, parent, name in
            guard let raw, let name else { return }
            let request = FuseRequest(raw: raw)
            guard let fileSystem = FuseOperations.context(raw) else { return FuseRequest(raw: raw).reply(error: EIO) }
            let bytes = Array(UnsafeRawBufferPointer(start: name, count: strlen(name)))
            request.answer {
                let found = try await fileSystem.lookUp(parent: parent, name: bytes)
                return .entry(number: found.number, attributes: found.attributes, timeout: SnapshotFileSystem.timeout(for: found.item))
            }
        }
        ops.forget = { raw, number, count in
            guard let raw else { return }
            FuseOperations.context(raw)?.inodes.forget(number, count: count)
            fuse_reply_none(raw)
        }
        ops.forget_multi = { raw, count, forgets in
            guard let raw else { return }
            // A forget is answered with no reply, whatever happens.
            if let forgets, let fileSystem = FuseOperations.context(raw) {
                for index in 0..<count { fileSystem.inodes.forget(forgets[index].ino, count: forgets[index].nlookup) }
            }
            fuse_reply_none(raw)
        }
        ops.getattr = { raw, number, _ in
            guard let raw else { return }
            guard let fileSystem = FuseOperations.context(raw) else { return FuseRequest(raw: raw).reply(error: EIO) }
            let request = FuseRequest(raw: raw)
            if fileSystem.attributesNeedRefresh(number) {
                return request.answer {
                    guard let (attributes, item) = await fileSystem.attributesAfterRefresh(of: number) else { throw MountError.notFound }
                    return .attributes(attributes, timeout: SnapshotFileSystem.timeout(for: item))
                }
            }
            request.answerNow {
                guard let (attributes, item) = fileSystem.attributes(of: number) else { throw MountError.notFound }
                return .attributes(attributes, timeout: SnapshotFileSystem.timeout(for: item))
            }
        }
        ops.readlink = { raw, number in
            guard let raw else { return }
            guard let fileSystem = FuseOperations.context(raw) else { return FuseRequest(raw: raw).reply(error: EIO) }
            FuseRequest(raw: raw).answerNow { .link(try fileSystem.linkTarget(number)) }
        }
        ops.open = { raw, number, info in
            guard let raw, let info else { return }
            guard let fileSystem = FuseOperations.context(raw) else { return FuseRequest(raw: raw).reply(error: EIO) }
            FuseRequest(raw: raw).answerNow {
                guard info.pointee.flags & O_ACCMODE == O_RDONLY else { throw MountError.readOnly }
                try fileSystem.openFile(number)
                if fileSystem.opensSkipped.load(ordering: .relaxed) { throw MountError(code: ENOSYS) }
                var reply = info.pointee
                reply.keep_cache = 1  // a snapshot's file never changes: keep its pages across opens
                return .open(reply)
            }
        }
        ops.read = { raw, number, size, offset, _ in
            guard let raw else { return }
            guard let fileSystem = FuseOperations.context(raw) else { return FuseRequest(raw: raw).reply(error: EIO) }
            let handle = number
            let request = FuseRequest(raw: raw)
            let start = UInt64(max(offset, 0))
            // The reader waits for the answer, not for the read-ahead's bookkeeping: that comes after.
            defer { fileSystem.noteRead(handle, offset: start, length: size) }
            do {
                if let data = try fileSystem.readFromMemory(handle, offset: start, length: size) {
                    return FuseReply.data(data).send(to: request)
                }
            } catch {
                return request.reply(failure: error)
            }
            request.answer { .data(try await fileSystem.read(handle, offset: start, length: size)) }
        }
        ops.release = { raw, _, _ in
            guard let raw else { return }
            _ = fuse_reply_err(raw, 0)
        }
        ops.opendir = { raw, number, info in
            guard let raw, let info else { return }
            guard let fileSystem = FuseOperations.context(raw) else { return FuseRequest(raw: raw).reply(error: EIO) }
            let template = info.pointee
            FuseRequest(raw: raw).answerNow {
                if fileSystem.folderOpensSkipped.load(ordering: .relaxed) { throw MountError(code: ENOSYS) }
                // Kernels without opendir-less folders: no handle is needed either way.
                guard let item = fileSystem.inodes.entry(number)?.item else { throw MountError.notFound }
                guard item.isDirectory else { throw MountError.notADirectory }
                var reply = template
                if !item.isVirtual {
                    reply.cache_readdir = 1
                    reply.keep_cache = 1
                }
                return .open(reply)
            }
        }
        ops.readdir = { raw, number, size, offset, _ in
            guard let raw else { return }
            FuseOperations.list(raw, folder: number, size: size, offset: offset, plus: false)
        }
        ops.readdirplus = { raw, number, size, offset, _ in
            guard let raw else { return }
            FuseOperations.list(raw, folder: number, size: size, offset: offset, plus: true)
        }
        ops.releasedir = { raw, _, _ in
            guard let raw else { return }
            _ = fuse_reply_err(raw, 0)
        }
        ops.statfs = { raw, _ in
            guard let raw else { return }
            guard let fileSystem = FuseOperations.context(raw) else { return FuseRequest(raw: raw).reply(error: EIO) }
            FuseRequest(raw: raw).answerNow { .statfs(try FileSystemSize.statistics(of: fileSystem)) }
        }
        ops.getxattr = { raw, number, name, size in
            guard let raw, let name else { return }
            guard let fileSystem = FuseOperations.context(raw) else { return FuseRequest(raw: raw).reply(error: EIO) }
            let wanted = Array(UnsafeRawBufferPointer(start: name, count: strlen(name)))
            defer { fileSystem.noteTouched(number) }
            FuseRequest(raw: raw).answerNow {
                guard let attribute = try fileSystem.extendedAttributes(number).first(where: { $0.name == wanted }) else {
                    throw MountError.noAttribute
                }
                return try ExtendedAttributeReply.reply(Data(attribute.value), room: size)
            }
        }
        ops.listxattr = { raw, number, size in
            guard let raw else { return }
            guard let fileSystem = FuseOperations.context(raw) else { return FuseRequest(raw: raw).reply(error: EIO) }
            defer { fileSystem.noteTouched(number) }
            FuseRequest(raw: raw).answerNow {
                // Names, each followed by a NUL, as listxattr(2) returns them.
                let names = try fileSystem.extendedAttributes(number).reduce(into: Data()) { $0.append(contentsOf: $1.name + [0]) }
                return try ExtendedAttributeReply.reply(names, room: size)
            }
        }
        return ops
    }

    /// readdir/readdirplus: on the request's thread when the entries are at
    /// hand, in a task when a tree must be loaded first.
    private static func list(_ raw: fuse_req_t, folder: UInt64, size: Int, offset: off_t, plus: Bool) {
        guard let fileSystem = context(raw) else { return FuseRequest(raw: raw).reply(error: EIO) }
        let request = FuseRequest(raw: raw)
        @Sendable func reply(_ entries: FolderEntries) throws -> FuseReply {
            if offset == 0 { fileSystem.listingBegan(entries) }
            return .data(try FolderListing.fill(request.raw, fileSystem: fileSystem, folder: folder, entries: entries, size: size, offset: offset, plus: plus))
        }
        let atHand: FolderEntries?
        do {
            atHand = try fileSystem.entriesAtHand(of: folder, offset: Int(offset))
        } catch {
            return request.reply(failure: error)
        }
        if let atHand { return request.answerNow { try reply(atHand) } }
        request.answer { try reply(await fileSystem.entries(of: folder)) }
    }

    /// The filesystem behind a request (the session's user data, always set
    /// by `FuseMount`; nil would be a session built without it).
    static func context(_ request: fuse_req_t) -> SnapshotFileSystem? {
        fuse_req_userdata(request).map { Unmanaged<SnapshotFileSystem>.fromOpaque($0).takeUnretainedValue() }
    }
}

/// getxattr/listxattr: a size probe (room 0) gets the size; too little room is ERANGE.
enum ExtendedAttributeReply {
    static func reply(_ value: Data, room: Int) throws -> FuseReply {
        if room == 0 { return .xattrSize(value.count) }
        guard value.count <= room else { throw MountError(code: ERANGE) }
        return .data(value)
    }
}

/// statfs: the repository's stored size, read-only, nothing free.
enum FileSystemSize {
    static func statistics(of fileSystem: SnapshotFileSystem) throws -> statvfs {
        let totals: LocalIndex.Totals
        do { totals = try fileSystem.totals() } catch { throw MountError.io }
        var info = statvfs()
        info.f_bsize = 4096
        info.f_frsize = 4096
        info.f_blocks = fsblkcnt_t(max(totals.packBytes, 0) / 4096)
        info.f_bfree = 0
        info.f_bavail = 0
        info.f_files = fsfilcnt_t(totals.blobs.values.reduce(0) { $0 + $1.count })
        info.f_ffree = 0
        info.f_favail = 0
        info.f_namemax = 255
        info.f_flag = UInt(ST_RDONLY)
        return info
    }
}
