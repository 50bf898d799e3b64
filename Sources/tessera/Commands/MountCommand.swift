import ArgumentParser
import Foundation
import TesseraCore
import TesseraMount

struct MountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mount",
        abstract: "Mount the repository read-only: every snapshot as a folder.",
        discussion: """
            Runs in the foreground until unmounted (`fusermount3 -u MOUNTPOINT`) or interrupted
            (Ctrl-C unmounts cleanly). Layout: snapshots/<time> (and `latest`), ids/<short-id>,
            hosts/<host>/<time>, tags/<tag>/<time>; each snapshot folder holds the absolute paths
            it backed up. New snapshots appear within seconds.
            """
    )
    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("An empty folder to mount on.", valueName: "MOUNTPOINT"))
    var mountPoint: String

    @Flag(name: .customLong("allow-other"), help: "Let other users see the mount (needs user_allow_other in /etc/fuse.conf unless root).")
    var allowOther = false

    @Option(name: .customLong("cache-size"), help: ArgumentHelp("Memory for decoded file data, in MiB.", valueName: "MiB"))
    var cacheSize = 32

    @Option(name: .customLong("disk-cache-size"), help: ArgumentHelp("Disk space for downloaded data, in MiB (default: 1024 for remote repositories, 0 for local folders).", valueName: "MiB"))
    var diskCacheSize: Int?

    @Option(name: .customLong("read-ahead"), help: ArgumentHelp("How far ahead of a reader going through a file or a folder to load, in MiB (0: off).", valueName: "MiB"))
    var readAhead = 16

    func validate() throws {
        guard cacheSize >= 8 else { throw ValidationError("--cache-size must be at least 8 MiB") }
        guard (diskCacheSize ?? 0) >= 0, readAhead >= 0 else { throw ValidationError("sizes cannot be negative") }
    }

    func run() async throws {
        // Index files and snapshots only: listing all 256 data/ folders for
        // packs no index file names (left by interrupted backups; no snapshot
        // needs them) took a third of the time to the first listing. Only when
        // the index files themselves are lost does the mount read pack headers.
        let (repository, stack) = try await RepositoryOpener.openMeasured(global, synchronize: false, windowedReads: false)
        try await repository.synchronizeIndexAndSnapshots()
        if try !repository.index.hasPacks(), try !repository.snapshots().isEmpty {
            try await repository.synchronizeIndex()
        }
        var options = MountOptions()
        options.allowOther = allowOther
        options.memoryCacheBytes = cacheSize << 20
        options.readAheadBytes = readAhead << 20
        // Reading a local folder again costs nothing; a download does.
        let isLocal = !stack.url.isRemote
        options.diskCacheBytes = (diskCacheSize ?? (isLocal ? 0 : 1024)) << 20
        options.diskCacheFolder = Repository.cacheFolder(cacheRoot: global.cacheRoot, repositoryID: repository.config.id) + "/blobs"

        try await RepositoryOpener.withLock(repository, exclusive: false, command: "mount") {
            let mount = try FuseMount(repository: repository, mountPoint: mountPoint, options: options)
            InterruptHandler.shared.handleSignalsItself { _ in
                Console.err("\ntessera: unmounting \(mountPoint)\n")
                mount.unmount()
            }
            let output = global.output
            try await mount.run {
                if output.json {
                    output.jsonLine(["message_type": .string("mounted"), "mount_point": .string(mountPoint)])
                } else {
                    output.info("mounted the repository on \(mountPoint); unmount with Ctrl-C or `fusermount3 -u \(mountPoint)`")
                }
            }
            let statistics = mount.statistics
            if output.json {
                output.jsonLine([
                    "message_type": .string("summary"), "blobs_loaded": .integer(Int64(statistics.blobsLoaded)),
                    "bytes_loaded": .integer(statistics.bytesLoaded), "disk_cache_hits": .integer(Int64(statistics.diskCacheHits)),
                    "bytes_read_ahead": .integer(statistics.bytesReadAhead),
                    "files_listed_without_inode": .integer(Int64(statistics.filesListedWithoutInode)),
                ])
            } else {
                output.detail("unmounted; read \(statistics.blobsLoaded) blobs (\(statistics.bytesLoaded) bytes) from the repository, \(statistics.diskCacheHits) from the disk cache; \(statistics.bytesReadAhead) bytes read ahead into the page cache")
            }
        }
    }
}
