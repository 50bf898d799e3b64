import Foundation

extension Repository {
    public struct KeyDescription: Sendable {
        public var id: ID
        public var isCurrent: Bool
        public var info: KeyFile.Info?
        public var kdf: PasswordKDF?
    }

    public func keys() async throws -> [KeyDescription] {
        var result = [KeyDescription]()
        for item in try await backend.list(.key) {
            guard let id = ID(hex: item.handle.name) else { continue }
            let file = try? JSONCoding.decoder.decode(KeyFile.self, from: try await backend.load(item.handle))
            result.append(KeyDescription(id: id, isCurrent: id == keyID, info: file?.info(master: master), kdf: file?.kdf))
        }
        return result.sorted { ($0.info?.created ?? .distantPast) < ($1.info?.created ?? .distantPast) }
    }

    /// Adds a password: a new key object wrapping the same master key. Nothing is re-encrypted.
    public func addKey(password: String, kdf: PasswordKDF = PasswordKDF()) async throws -> ID {
        let file = try KeyFile.wrap(master, password: password, kdf: kdf, host: SystemIdentity.hostName, username: SystemIdentity.userName)
        let id = ID.random()
        try await backend.save(ObjectHandle(kind: .key, id: id), data: try JSONCoding.encoder.encode(file))
        return id
    }

    /// Removes a key; never the one in use (that would be the way to lock oneself out).
    public func removeKey(_ id: ID) async throws {
        guard id != keyID else {
            throw TesseraError.invalidArgument("key \(id.short) is the one this command was opened with; use `key passwd`, or open with another key to remove it")
        }
        let handle = ObjectHandle(kind: .key, id: id)
        guard try await backend.exists(handle) else { throw TesseraError.invalidArgument("no key \(id.short) in the repository") }
        try await backend.delete(handle)
    }

    /// Resolves a key id prefix.
    public func resolveKey(_ prefix: String) async throws -> ID {
        let matches = try await keys().filter { $0.id.hex.hasPrefix(prefix.lowercased()) }
        guard matches.count == 1, let match = matches.first else {
            throw TesseraError.invalidArgument(matches.isEmpty ? "no key matches \"\(prefix)\"; `tessera key list` shows them" : "\"\(prefix)\" matches several keys")
        }
        return match.id
    }
}
