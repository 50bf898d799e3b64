import Crypto
import Foundation
import TesseraCore

/// The value of `x-amz-content-sha256` and the last line of the canonical
/// request: the hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
public enum SigV4PayloadHash {
    /// The body is not covered by the signature (TLS protects it in transit).
    public static let unsigned = "UNSIGNED-PAYLOAD"
    /// The SHA-256 of an empty body.
    public static let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Lower-case hex SHA-256 of `body`.
    public static func sha256Hex(_ body: some DataProtocol) -> String {
        HexCoding.encode(SHA256.hash(data: body))
    }
}
