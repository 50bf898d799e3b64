import Crypto
import Foundation

extension GearTable {
    /// The gear table of a repository: 256 values expanded from the secret
    /// chunker seed with HKDF, so chunk boundaries (and thus chunk sizes) cannot
    /// be predicted without the key (invariant 2).
    public static func derived(from seed: Data) throws -> GearTable {
        let expanded = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: seed), info: Data("tessera.chunker.gear".utf8), outputByteCount: 256 * 8
        )
        let values: [UInt64] = expanded.withUnsafeBytes { raw in
            (0..<256).map { index in
                var value: UInt64 = 0
                for byte in 0..<8 { value |= UInt64(raw[index * 8 + byte]) << (8 * UInt64(byte)) }
                return value
            }
        }
        guard let table = GearTable(values: values) else { throw TesseraError.failed("internal: gear table size") }
        return table
    }
}
