import CFuse
import Foundation
import Glibc
import Synchronization
import TesseraCore

/// A mounted repository: the FUSE session, its loop on threads of its own,
/// and the unmount.
public final class FuseMount: Sendable {
    private let fileSystem: SnapshotFileSystem
    private let mountPoint: String
    private let options: MountOptions
    /// The libfuse session while mounted. `fuse_session_exit` may be called
    /// from any thread, which is all `unmount()` does with it.
    private let session = Mutex<FuseSessionHandle?>(nil)

    public init(repository: Repository, mountPoint: String, options: MountOptions) throws {
        let absolute = URL(fileURLWithPath: mountPoint).standardizedFileURL.path
        try MountPoint.check(absolute)
        self.mountPoint = absolute
        self.options = options
        self.fileSystem = try SnapshotFileSystem(repository: repository, options: options, owner: (getuid(), getgid()))
    }

    /// Mounts and serves until unmounted (by `unmount()`, `fusermount3 -u` or
    /// `umount`). The blocking libfuse loop runs on its own threads.
    public func run(onMounted: @Sendable () -> Void = {}) async throws {
        var ops = FuseOperations.table()
        var mountOptions = "ro,default_permissions,fsname=tessera,subtype=tessera"
        if options.allowOther { mountOptions += ",allow_other" }
        let arguments = ["tessera", "-o", mountOptions]
        var cStrings = arguments.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var args = tessera_fuse_args(Int32(cStrings.count), &cStrings)
        defer { fuse_opt_free_args(&args) }

        let userdata = Unmanaged.passRetained(fileSystem).toOpaque()
        guard let raw = fuse_session_new(&args, &ops, MemoryLayout<fuse_lowlevel_ops>.size, userdata) else {
            Unmanaged<SnapshotFileSystem>.fromOpaque(userdata).release()
            throw TesseraError.failed("cannot start FUSE: is the fuse3 package installed and /dev/fuse present?")
        }
        guard fuse_session_mount(raw, mountPoint) == 0 else {
            fuse_session_destroy(raw)
            Unmanaged<SnapshotFileSystem>.fromOpaque(userdata).release()
            throw TesseraError.failed("cannot mount on \(mountPoint) (see the message above from FUSE); check that /dev/fuse exists and the folder is usable")
        }
        let pointer = FuseSessionHandle(raw: raw)
        session.withLock { $0 = pointer }
        fileSystem.kernel.attach(pointer)
        onMounted()

        let result: Int32 = await withCheckedContinuation { continuation in
            let thread = Thread {
                // Up to 8 threads, none ended when idle: libfuse advises
                // against ending them, and a copy's bursts would start them again.
                continuation.resume(returning: tessera_fuse_session_loop_mt(pointer.raw, 8, 8))
            }
            thread.name = "tessera-fuse"
            thread.start()
        }
        session.withLock { $0 = nil }
        fileSystem.stopFeeds()
        fileSystem.kernel.attach(nil)
        fuse_session_unmount(raw)
        fuse_session_destroy(raw)
        Unmanaged<SnapshotFileSystem>.fromOpaque(userdata).release()
        // The loop reports the kernel closing the connection (an unmount) as an error: that is the normal end.
        if result != 0, result != -ENODEV, result != -EINTR {
            throw TesseraError.failed("the FUSE session ended with an error: \(FileSystemError.reason(-result))")
        }
    }

    public var statistics: MountStatistics { fileSystem.statistics }

    /// Ends the mount from another thread (Ctrl-C): stop the loop and detach
    /// the mount, as libfuse's own unmount does; the kernel then closes the
    /// connection and `run()` returns.
    public func unmount() {
        guard let pointer = session.withLock({ $0 }) else { return }
        fuse_session_exit(pointer.raw)
        if umount2(mountPoint, Int32(MNT_DETACH)) != 0 {
            let helper = Process()
            helper.executableURL = URL(fileURLWithPath: "/bin/fusermount3")
            helper.arguments = ["-u", "-z", mountPoint]
            try? helper.run()
            helper.waitUntilExit()
        }
    }
}
