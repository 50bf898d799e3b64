/// One character of a file name for `?` and `[...]`: a well-formed UTF-8
/// sequence, or a single byte that is not part of one (Linux names need not be
/// UTF-8, and such bytes must still be matchable by `?`, `*` and `[!...]`).
struct NameCharacter {
    /// The Unicode scalar value, nil for a byte outside any well-formed sequence.
    let scalar: UInt32?
    /// How many bytes the character occupies.
    let width: Int

    /// Decodes the character at `index`, never reading at or past `end`.
    init(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int, end: Int) {
        let lead = bytes[index]
        if lead < 0x80 {
            self.init(scalar: UInt32(lead), width: 1)
            return
        }
        // Ranges from Unicode table 3-7: they reject overlong forms, surrogates and values past U+10FFFF.
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default:
            self.init(scalar: nil, width: 1)
            return
        }
        guard index + length <= end else {
            self.init(scalar: nil, width: 1)
            return
        }
        var value = UInt32(lead) & (0x7F >> UInt32(length))
        for offset in 1..<length {
            let byte = bytes[index + offset]
            let allowed = offset == 1 ? secondRange : 0x80...0xBF
            guard allowed.contains(byte) else {
                self.init(scalar: nil, width: 1)
                return
            }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        self.init(scalar: value, width: length)
    }

    private init(scalar: UInt32?, width: Int) {
        self.scalar = scalar
        self.width = width
    }
}
