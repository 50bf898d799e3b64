import CFuse
import Foundation
import Synchronization
import TesseraCore

/// Writes file contents straight into the kernel's page cache
/// (`fuse_lowlevel_notify_store`), so that reads of those pages never reach
/// the mount: no request, no wait, no copy per read.
///
/// A store blocks while the kernel holds the same pages locked for a read
/// that the mount is answering, so stores run on a thread of their own,
/// never on one a read's answer may need.
final class KernelPageCache: Sendable {
    static let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))

    private let session = Mutex<FuseSessionHandle?>(nil)
    private let thread = BlockingIOPool(threads: 1)
    private let storedBytes = Atomic<Int64>(0)

    /// Set once the session exists; stores before that (or after it ends) are dropped.
    func attach(_ handle: FuseSessionHandle?) { session.withLock { $0 = handle } }

    var bytesStored: Int64 { storedBytes.load(ordering: .relaxed) }

    /// Bytes to put at an offset of a file.
    struct Store: Sendable {
        var inode: UInt64
        var offset: UInt64
        var bytes: Data
    }

    /// Performs `stores` in order, in one trip to the store thread. Offsets
    /// are page-aligned: the kernel marks a page valid only when a store
    /// fills it (or reaches the end of the file). A store the kernel refuses
    /// (it does not know the inode: never looked up, or forgotten; or the
    /// mount is ending) is dropped: the kernel asks for those pages itself.
    func store(_ stores: [Store]) async {
        guard !stores.isEmpty, let handle = session.withLock({ $0 }) else { return }
        let stored = try? await thread.run {
            var total: Int64 = 0
            for store in stores {
                let result = store.bytes.withUnsafeBytes { buffer in
                    tessera_fuse_notify_store(handle.raw, store.inode, off_t(store.offset), buffer.baseAddress, buffer.count)
                }
                if result == 0 { total += Int64(store.bytes.count) }
            }
            return total
        }
        storedBytes.add(stored ?? 0, ordering: .relaxed)
    }
}
