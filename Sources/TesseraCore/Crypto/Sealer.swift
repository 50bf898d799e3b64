import CSystemShims
import Crypto
import Foundation
import Synchronization

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
    /// A writer reuses one salt (so one subkey) for at most this many objects,
    /// each with its own random nonce: the chance of a nonce collision stays
    /// near 2^-64, far inside GCM's 2^32-messages-per-key bound.
    static let sealsPerSubkey = 1 << 16

    private let secret: SecretKey
    private var key: SymmetricKey { secret.key }
    private let subkeys = SubkeyCache()

    public init(key: SymmetricKey) { self.secret = SecretKey(key) }

    public func seal(_ plaintext: some DataProtocol, purpose: SealPurpose) -> Data {
        var nonce = [UInt8](repeating: 0, count: Sealer.nonceSize)
        SecureRandom.fill(&nonce)
        let (salt, subkey) = subkeys.forSealing(purpose) {
            var salt = [UInt8](repeating: 0, count: Sealer.saltSize)
            SecureRandom.fill(&salt)
            return (salt, derive(salt: salt, purpose: purpose))
        }
        do {
            let box = try AES.GCM.seal(plaintext, using: subkey.key, nonce: AES.GCM.Nonce(data: nonce), authenticating: Data(purpose.rawValue.utf8))
            var out = Data(capacity: plaintext.count + Sealer.overhead)
            out.append(Sealer.version)
            out.append(contentsOf: salt)
            out.append(contentsOf: nonce)
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
        let salt = [UInt8](sealed[(start + 1)..<saltEnd])
        let subkey = subkeys.forOpening(purpose, salt: salt) { derive(salt: salt, purpose: purpose) }
        do {
            let box = try AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: sealed[saltEnd..<nonceEnd]),
                ciphertext: sealed[nonceEnd..<tagStart],
                tag: sealed[tagStart...]
            )
            return try AES.GCM.open(box, using: subkey.key, authenticating: Data(purpose.rawValue.utf8))
        } catch {
            throw SealError.authenticationFailed
        }
    }

    private func derive(salt: [UInt8], purpose: SealPurpose) -> SecretKey {
        SecretKey(HKDF<SHA256>.deriveKey(inputKeyMaterial: key, salt: salt, info: Data(purpose.rawValue.utf8), outputByteCount: 32))
    }
}

/// The subkeys in use: for sealing, the current salt and subkey of each
/// purpose (renewed after `sealsPerSubkey` uses); for opening, the last salt
/// seen per purpose, since objects written by one process share theirs.
final class SubkeyCache: Sendable {
    private struct Sealing {
        var salt: [UInt8]
        var subkey: SecretKey
        var uses: Int
    }

    private let sealing = Mutex<[SealPurpose: Sealing]>([:])
    private let opening = Mutex<[SealPurpose: (salt: [UInt8], subkey: SecretKey)]>([:])

    func forSealing(_ purpose: SealPurpose, fresh: () -> ([UInt8], SecretKey)) -> ([UInt8], SecretKey) {
        sealing.withLock { entries in
            if var entry = entries[purpose], entry.uses < Sealer.sealsPerSubkey {
                entry.uses += 1
                entries[purpose] = entry
                return (entry.salt, entry.subkey)
            }
            let (salt, subkey) = fresh()
            entries[purpose] = Sealing(salt: salt, subkey: subkey, uses: 1)
            return (salt, subkey)
        }
    }

    func forOpening(_ purpose: SealPurpose, salt: [UInt8], derive: () -> SecretKey) -> SecretKey {
        if let cached = opening.withLock({ $0[purpose] }), cached.salt == salt { return cached.subkey }
        let subkey = derive()
        opening.withLock { $0[purpose] = (salt, subkey) }
        return subkey
    }
}

/// Cryptographically secure random bytes: one getrandom(2) call per fill
/// (Swift's SystemRandomNumberGenerator makes one per 8 bytes).
enum SecureRandom {
    static func fill(_ bytes: inout [UInt8]) {
        let status = bytes.withUnsafeMutableBytes { tessera_random_bytes($0.baseAddress, UInt($0.count)) }
        // getrandom only fails before the kernel's pool is initialised at boot, or with a bad pointer.
        precondition(status == 0, "the kernel's random number generator failed")
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
