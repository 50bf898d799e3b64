import Crypto
import Foundation

/// `keys/<id>`: one password's wrapping of the master key.
///
/// Stored as JSON; only the KDF parameters are readable without the password.
/// Who created the key, where and when is inside the sealed part (invariant 1).
public struct KeyFile: Codable, Sendable {
    public static let currentVersion = 1

    public var version: Int
    public var kdf: PasswordKDF
    /// The sealed `Payload`, sealed with the KDF's output.
    public var sealed: Data
    /// The sealed `Info`, sealed with the master key: anyone who opened the
    /// repository can list who made each key, the backend cannot.
    public var info: Data

    public struct Info: Codable, Sendable {
        public var created: Date
        public var host: String
        public var username: String
    }

    /// What a key object protects.
    public struct Payload: Codable, Sendable {
        public var encryptionKey: Data
        public var identificationKey: Data
        public var created: Date
        public var host: String
        public var username: String
    }

    public static func wrap(_ master: MasterKey, password: String, kdf: PasswordKDF, host: String, username: String, created: Date = Date()) throws -> KeyFile {
        let payload = Payload(
            encryptionKey: master.encryption.withUnsafeBytes { Data($0) },
            identificationKey: master.identification.withUnsafeBytes { Data($0) },
            created: created, host: host, username: username
        )
        let wrappingKey = try kdf.deriveKey(password: password)
        let plaintext = try JSONCoding.encoder.encode(payload)
        let info = Info(created: created, host: host, username: username)
        return KeyFile(
            version: currentVersion, kdf: kdf,
            sealed: Sealer(key: wrappingKey).seal(plaintext, purpose: .masterKey),
            info: master.sealer.seal(try JSONCoding.encoder.encode(info), purpose: .keyInfo)
        )
    }

    /// The payload, or nil when the password does not open this key.
    public func unwrap(password: String) throws -> Payload? {
        guard version == KeyFile.currentVersion else {
            throw TesseraError.unsupportedFormat(object: "key", detail: "version \(version)")
        }
        let wrappingKey = try kdf.deriveKey(password: password)
        guard let plaintext = try? Sealer(key: wrappingKey).open(sealed, purpose: .masterKey) else { return nil }
        do {
            return try JSONCoding.decoder.decode(Payload.self, from: plaintext)
        } catch {
            throw TesseraError.damaged(object: "key", detail: "payload does not decode")
        }
    }
}

extension KeyFile {
    public func info(master: MasterKey) -> Info? {
        guard let plaintext = try? master.sealer.open(info, purpose: .keyInfo) else { return nil }
        return try? JSONCoding.decoder.decode(Info.self, from: plaintext)
    }
}

extension KeyFile.Payload {
    public var masterKey: MasterKey {
        MasterKey(encryption: SymmetricKey(data: encryptionKey), identification: SymmetricKey(data: identificationKey))
    }
}

/// One JSON configuration for every JSON object in a repository.
public enum JSONCoding {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 time: \(text)")
            }
            return date
        }
        return decoder
    }
}
