import CZstd
import Foundation
import Synchronization

/// zstd compression with contexts reused across calls: creating a context per
/// chunk costs more than compressing a small one.
public final class ZstdCodec: Sendable {
    public let level: Int32
    private let compressors = Mutex<[ContextBox]>([])
    private let decompressors = Mutex<[ContextBox]>([])

    /// A zstd context. Safe to send: a context is used by one caller at a time,
    /// handed out and returned through the mutex-guarded pools above.
    private final class ContextBox: @unchecked Sendable {
        let pointer: OpaquePointer
        let isCompressor: Bool
        init(pointer: OpaquePointer, isCompressor: Bool) {
            self.pointer = pointer
            self.isCompressor = isCompressor
        }
        deinit {
            if isCompressor { ZSTD_freeCCtx(pointer) } else { ZSTD_freeDCtx(pointer) }
        }
    }

    public init(level: Int) {
        self.level = Int32(clamping: level)
    }

    /// `prefix` followed by the compressed bytes, or nil when compression does
    /// not make the data smaller. The prefix avoids copying the output again to frame it.
    public func compress(_ input: Data, prefix: UInt8? = nil) -> Data? {
        guard let context = take(compressors, create: { ZSTD_createCCtx().map { ContextBox(pointer: $0, isCompressor: true) } }) else { return nil }
        defer { give(context, to: compressors) }
        let skip = prefix == nil ? 0 : 1
        let bound = tessera_zstd_compress_bound(input.count)
        // Uninitialised memory: zero-filling megabytes per chunk costs page faults and time.
        guard let output = malloc(bound + skip) else { return nil }
        if let prefix { output.storeBytes(of: prefix, as: UInt8.self) }
        let written = input.withUnsafeBytes { source in
            ZSTD_compressCCtx(context.pointer, output + skip, bound, source.baseAddress, source.count, level)
        }
        guard tessera_zstd_is_error(written) == 0, written < input.count else {
            free(output)
            return nil
        }
        return Data(bytesNoCopy: output, count: written + skip, deallocator: .free)
    }

    /// Decompresses data whose decompressed size is `expectedSize` exactly.
    public func decompress(_ input: some DataProtocol & ContiguousBytes, expectedSize: Int) throws -> Data {
        guard let context = take(decompressors, create: { ZSTD_createDCtx().map { ContextBox(pointer: $0, isCompressor: false) } }) else {
            throw FormatError.malformed("zstd: cannot allocate a context")
        }
        defer { give(context, to: decompressors) }
        guard let output = malloc(max(expectedSize, 1)) else { throw FormatError.malformed("zstd: out of memory") }
        let written = input.withUnsafeBytes { source in
            ZSTD_decompressDCtx(context.pointer, output, expectedSize, source.baseAddress, source.count)
        }
        if tessera_zstd_is_error(written) != 0 {
            free(output)
            throw FormatError.malformed("zstd: \(String(cString: ZSTD_getErrorName(written)))")
        }
        guard written == expectedSize else {
            free(output)
            throw FormatError.malformed("zstd: \(written) bytes instead of \(expectedSize)")
        }
        return Data(bytesNoCopy: output, count: expectedSize, deallocator: .free)
    }

    private func take(_ pool: borrowing Mutex<[ContextBox]>, create: () -> ContextBox?) -> ContextBox? {
        if let reused = pool.withLock({ $0.popLast() }) { return reused }
        return create()
    }

    private func give(_ context: ContextBox, to pool: borrowing Mutex<[ContextBox]>) {
        pool.withLock { contexts in
            if contexts.count < 16 { contexts.append(context) }
        }
    }
}
