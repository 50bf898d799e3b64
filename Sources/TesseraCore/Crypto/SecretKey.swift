import Crypto

/// A `SymmetricKey` that may cross concurrency domains.
///
/// `SymmetricKey` is an immutable value (its storage is written once at
/// creation and only read afterwards) but swift-crypto 3.x does not mark it
/// `Sendable`; sharing it read-only between tasks is therefore safe.
public struct SecretKey: @unchecked Sendable {
    public let key: SymmetricKey
    public init(_ key: SymmetricKey) { self.key = key }
}
