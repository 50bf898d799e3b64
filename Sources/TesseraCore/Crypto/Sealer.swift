import Crypto
import Foundation

/// What a sealed object is. Bound into every seal as associated data, so an
/// object of one kind can never be passed off as another (a tree as a config, say).
public enum SealPurpose: String, Sendable {
    case blob = "tessera.blob"
    case packHeader = "tessera.pack-header"
    case index = "tessera.index"
    case snapshot = "tessera.snapshot"
    case config = "tessera.config"
    case lock = "tessera.lock"
    case masterKey = "tessera.master-key"
    case keyInfo = "tessera.key-info"
}

/// AES-256-GCM with a fresh subkey for every object (design.md invariant 3).
///
/// Layout of a sealed object (docs/format.md):
/// `version (1 byte) = 1 | salt (16) | nonce (12) | ciphertext | tag (16)`.
/// The subkey is HKDF-SHA-256(key, salt, info: purpose). With a random 128-bit
/// salt per object, a (subkey, nonce) pair never repeats and no subkey comes
/// near GCM's 2^32-messages bound.
public struct Sealer: Sendable {
    public static let version: UInt8 = 1
    public static let saltSize = 16
    public static let nonceSize = 12
    public static let tagSize = 16
    /// Bytes a seal adds to its plaintext.
    public static let overhead = 1 + saltSize + nonceSize + tagSize

    private let secret: SecretKey
    private var key: SymmetricKey { secret.key }

    public init(key: SymmetricKey) { self.secret = SecretKey(key) }

    public func seal(_ plaintext: some DataProtocol, purpose: SealPurpose) -> Data {
        let salt = SymmetricKey(size: .init(bitCount: Sealer.saltSize * 8))
        let subkey = derive(salt: salt.withUnsafeBytes { Data($0) }, purpose: purpose)
        do {
            let box = try AES.GCM.seal(plaintext, using: subkey, nonce: AES.GCM.Nonce(), authenticating: Data(purpose.rawValue.utf8))
            var out = Data(capacity: plaintext.count + Sealer.overhead)
            out.append(Sealer.version)
            salt.withUnsafeBytes { out.append(contentsOf: $0) }
            out.append(contentsOf: box.nonce)
            out.append(box.ciphertext)
            out.append(box.tag)
            return out
        } catch {
            // AES-GCM with a 256-bit key and a 96-bit nonce cannot fail; a failure is a broken crypto library.
            preconditionFailure("AES-GCM seal failed: \(error)")
        }
    }

    public func open(_ sealed: Data, purpose: SealPurpose) throws -> Data {
        guard sealed.count >= Sealer.overhead else { throw SealError.tooShort }
        let start = sealed.startIndex
        guard sealed[start] == Sealer.version else { throw SealError.unknownVersion(Int(sealed[start])) }
        let saltEnd = start + 1 + Sealer.saltSize
        let nonceEnd = saltEnd + Sealer.nonceSize
        let tagStart = sealed.endIndex - Sealer.tagSize
        let subkey = derive(salt: sealed[(start + 1)..<saltEnd], purpose: purpose)
        do {
            let box = try AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: sealed[saltEnd..<nonceEnd]),
                ciphertext: sealed[nonceEnd..<tagStart],
                tag: sealed[tagStart...]
            )
            return try AES.GCM.open(box, using: subkey, authenticating: Data(purpose.rawValue.utf8))
        } catch {
            throw SealError.authenticationFailed
        }
    }

    private func derive(salt: some DataProtocol, purpose: SealPurpose) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, salt: salt, info: Data(purpose.rawValue.utf8), outputByteCount: 32)
    }
}

public enum SealError: Error, Equatable, CustomStringConvertible, Sendable {
    case tooShort
    case unknownVersion(Int)
    case authenticationFailed

    public var description: String {
        switch self {
        case .tooShort: "sealed data is too short"
        case .unknownVersion(let version): "unknown seal version \(version)"
        case .authenticationFailed: "authentication failed (wrong key, or the data was modified)"
        }
    }
}
