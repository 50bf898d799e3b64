import CSodium
import Crypto
import Foundation

/// Turns a password into a key-wrapping key with Argon2id (libsodium), a
/// memory-hard KDF. The parameters are stored in each key object.
public struct PasswordKDF: Codable, Hashable, Sendable {
    public static let algorithmName = "argon2id"

    public var algorithm: String
    /// Memory in bytes.
    public var memory: Int
    /// Passes over the memory (Argon2's t).
    public var iterations: Int
    public var salt: Data

    /// About 0.4 s on a current core (release build). 32 MiB, as much as
    /// restic's scrypt uses, so that a short command's peak memory stays small;
    /// the passes make up the cost.
    public static let defaultMemory = 32 << 20
    public static let defaultIterations = 32

    public init(memory: Int = PasswordKDF.defaultMemory, iterations: Int = PasswordKDF.defaultIterations) {
        self.algorithm = PasswordKDF.algorithmName
        self.memory = memory
        self.iterations = iterations
        var salt = Data(count: Int(crypto_pwhash_SALTBYTES))
        salt.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { randombytes_buf(base, buffer.count) }
        }
        self.salt = salt
    }

    public func deriveKey(password: String) throws -> SymmetricKey {
        guard algorithm == PasswordKDF.algorithmName else {
            throw TesseraError.unsupportedFormat(object: "key", detail: "KDF \"\(algorithm)\"")
        }
        guard salt.count == Int(crypto_pwhash_SALTBYTES), memory >= 8 << 10, iterations >= 1 else {
            throw TesseraError.damaged(object: "key", detail: "invalid KDF parameters")
        }
        guard sodium_init() >= 0 else { throw TesseraError.failed("libsodium failed to initialise") }
        var output = [UInt8](repeating: 0, count: 32)
        let passwordBytes = Array(password.utf8)
        let status = salt.withUnsafeBytes { saltBytes in
            passwordBytes.withUnsafeBufferPointer { passwordBuffer in
                passwordBuffer.withMemoryRebound(to: CChar.self) { passwordChars -> Int32 in
                    // An empty password still needs a valid pointer.
                    var empty: CChar = 0
                    guard let saltPointer = saltBytes.bindMemory(to: UInt8.self).baseAddress else { return -1 }
                    return crypto_pwhash(
                        &output, UInt64(output.count),
                        passwordChars.baseAddress ?? withUnsafePointer(to: &empty) { $0 }, UInt64(passwordChars.count),
                        saltPointer, UInt64(iterations), Int(memory), crypto_pwhash_ALG_ARGON2ID13
                    )
                }
            }
        }
        guard status == 0 else { throw TesseraError.failed("Argon2id needs \(memory >> 20) MiB of memory and could not get it") }
        return SymmetricKey(data: output)
    }
}
