import CFuse
import Foundation

/// One kernel request, answered exactly once (a request never answered
/// hangs the process that made it).
///
/// `@unchecked Sendable`: libfuse allows the reply from any thread, and each
/// request is answered by exactly one task.
struct FuseRequest: @unchecked Sendable {
    let raw: fuse_req_t

    /// Runs `body` in a task and replies with what it returns or the errno it
    /// throws, so that slow work (a tree or chunk to fetch) never holds a
    /// libfuse thread.
    func answer(_ body: @escaping @Sendable () async throws -> FuseReply) {
        Task {
            do {
                try await body().send(to: self)
            } catch {
                reply(failure: error)
            }
        }
    }

    /// Answers at once, for work that is only a table lookup.
    func answerNow(_ body: () throws -> FuseReply) {
        do {
            try body().send(to: self)
        } catch {
            reply(failure: error)
        }
    }

    func reply(error code: Int32) { _ = fuse_reply_err(raw, code) }

    /// A mount error's errno; anything else is EIO.
    func reply(failure error: any Error) { reply(error: (error as? MountError)?.code ?? EIO) }
}

/// What a request is answered with.
enum FuseReply: @unchecked Sendable {
    // @unchecked: `stat` and `fuse_file_info` are plain C values copied in.
    case entry(number: UInt64, attributes: stat, timeout: Double)
    case attributes(stat, timeout: Double)
    case data(Data)
    case link([UInt8])
    case open(fuse_file_info)
    case xattrSize(Int)
    case statfs(statvfs)
    case error(Int32)

    func send(to request: FuseRequest) {
        let raw = request.raw
        switch self {
        case .entry(let number, let attributes, let timeout):
            var entry = fuse_entry_param()
            entry.ino = number
            entry.generation = 1
            entry.attr = attributes
            entry.attr_timeout = timeout
            entry.entry_timeout = timeout
            _ = fuse_reply_entry(raw, &entry)
        case .attributes(var attributes, let timeout):
            _ = fuse_reply_attr(raw, &attributes, timeout)
        case .data(let data):
            _ = data.withUnsafeBytes { bytes in
                fuse_reply_buf(raw, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
            }
        case .link(let target):
            _ = (target + [0]).withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { fuse_reply_readlink(raw, $0.baseAddress) }
            }
        case .open(var info):
            _ = fuse_reply_open(raw, &info)
        case .xattrSize(let size):
            _ = fuse_reply_xattr(raw, size)
        case .statfs(var info):
            _ = fuse_reply_statfs(raw, &info)
        case .error(let code):
            _ = fuse_reply_err(raw, code)
        }
    }
}
