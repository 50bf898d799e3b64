import Crypto
import Foundation

/// The repository's random secrets. Passwords only wrap these (design.md
/// invariant 4); they never encrypt data directly.
public struct MasterKey: Sendable {
    /// Input key material for AES-256-GCM; each sealed object uses a subkey derived from it.
    public var encryption: SymmetricKey { encryptionSecret.key }
    /// The key of HMAC-SHA-256 blob ids (invariant 2).
    public var identification: SymmetricKey { identificationSecret.key }

    private let encryptionSecret: SecretKey
    private let identificationSecret: SecretKey

    /// One sealer for the life of the key, so that its subkeys are reused.
    public let sealer: Sealer

    public init(encryption: SymmetricKey, identification: SymmetricKey) {
        self.encryptionSecret = SecretKey(encryption)
        self.identificationSecret = SecretKey(identification)
        self.sealer = Sealer(key: encryption)
    }

    public static func generate() -> MasterKey {
        MasterKey(encryption: SymmetricKey(size: .bits256), identification: SymmetricKey(size: .bits256))
    }


    /// The keyed id of a blob's plaintext.
    public func blobID(of plaintext: some DataProtocol) -> ID {
        ID(unchecked: Array(HMAC<SHA256>.authenticationCode(for: plaintext, using: identification)))
    }
}
