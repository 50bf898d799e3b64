import Foundation

extension Data {
    /// `count` pseudo-random bytes, the same for the same seed; eight at a
    /// time, so 20 MiB take a moment even in a debug build.
    static func random(count: Int, seed: UInt64) -> Data {
        var generator = SeededGenerator(seed: seed)
        var data = Data(count: count)
        data.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let word = generator.next()
                let take = Swift.min(8, buffer.count - offset)
                Swift.withUnsafeBytes(of: word) { bytes in
                    UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + take)])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<take]))
                }
                offset += take
            }
        }
        return data
    }
}
