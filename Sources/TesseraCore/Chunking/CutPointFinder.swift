/// The FastCDC boundary search over bytes already in memory.
///
/// Gear hash `hash = (hash << 1) &+ gear[byte]`, no hashing before `minSize`
/// (cut-point skipping) and normalized chunking level 2: a mask with `bits + 2`
/// one-bits up to `averageSize`, then one with `bits - 2` one-bits up to
/// `maxSize`, where `averageSize == 1 << bits`.
///
/// The masks use the *high* bits of the hash instead of the paper's hand-spread
/// bits: after the shift, bit k depends on the last k + 1 bytes, so the top bits
/// see a window of about 64 bytes, which is what spreading the bits is for, and
/// this works for any `bits` without a table of masks.
struct CutPointFinder: Sendable {
    let minSize: Int
    let averageSize: Int
    let maxSize: Int
    /// Checked while the chunk is shorter than `averageSize` (harder to hit).
    let strictMask: UInt64
    /// Checked from `averageSize` to `maxSize` (easier to hit).
    let looseMask: UInt64

    /// Invalid parameters (see `ChunkerParameters.validationError`) are clamped
    /// into the valid range so the search still terminates and makes progress.
    init(parameters: ChunkerParameters) {
        let maxSize = min(max(parameters.maxSize, 4), ChunkerParameters.largestMaxSize)
        let minSize = min(max(parameters.minSize, 1), maxSize - 2)
        let average = min(max(parameters.averageSize, minSize + 1), maxSize - 1)
        // floor(log2(average)); equal to log2 for the valid power-of-two case.
        let bits = Int.bitWidth - 1 - average.leadingZeroBitCount
        self.minSize = minSize
        self.averageSize = average
        self.maxSize = maxSize
        self.strictMask = Self.highBits(bits + 2)
        self.looseMask = Self.highBits(max(bits - 2, 1))
    }

    private static func highBits(_ count: Int) -> UInt64 {
        let count = min(max(count, 1), 63)
        return ~UInt64(0) &<< UInt64(64 - count)
    }

    /// The length of the chunk starting at `bytes`, which holds `count` bytes.
    /// The caller passes at least `maxSize` bytes unless the input ends sooner.
    func cutLength(_ bytes: UnsafePointer<UInt8>, count: Int, gear: UnsafePointer<UInt64>) -> Int {
        if count <= minSize { return count }
        let end = min(count, maxSize)
        let normal = min(end, averageSize)
        var hash: UInt64 = 0
        var index = minSize
        // The cut goes right after the byte whose hash matched.
        while index < normal {
            hash = (hash &<< 1) &+ gear[Int(bytes[index])]
            index &+= 1
            if hash & strictMask == 0 { return index }
        }
        while index < end {
            hash = (hash &<< 1) &+ gear[Int(bytes[index])]
            index &+= 1
            if hash & looseMask == 0 { return index }
        }
        return end
    }
}
