import Crypto
import Foundation

/// The value of `x-amz-content-sha256` and the last line of the canonical
/// request: the hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
public enum SigV4PayloadHash {
    /// The body is not covered by the signature (TLS protects it in transit).
    public static let unsigned = "UNSIGNED-PAYLOAD"
    /// The SHA-256 of an empty body.
    public static let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Lower-case hex SHA-256 of `body`.
    public static func sha256Hex(_ body: some DataProtocol) -> String {
        SigV4Hex.encode(SHA256.hash(data: body))
    }
}

/// Lower-case hex, as SigV4 writes every digest.
enum SigV4Hex {
    static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
