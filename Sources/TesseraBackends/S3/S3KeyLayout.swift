import TesseraCore

/// Maps repository objects to S3 keys under the repository's prefix
/// (design.md layout: `config`, `data/<xx>/<id>`, `keys/<id>`, …) and back.
struct S3KeyLayout: Sendable {
    /// `prefix/`, or empty at the bucket's root.
    let root: String

    init(prefix: String) {
        root = prefix.isEmpty ? "" : prefix + "/"
    }

    func key(_ handle: ObjectHandle) -> String { root + handle.path }

    /// The `prefix` parameter for listing `kind`: its folder's key prefix
    /// **without** the trailing `/`, and the keys it returns are filtered to
    /// those inside the folder. The reason is moto, the S3 server the tests
    /// run against: it rejects the signature of any query value with an
    /// encoded `/` (`prefix=data%2F`), though the signature is right and AWS
    /// accepts it. Without the slash, a repository at a bucket's root sends
    /// no `/` in any query value; on real S3 the result is the same but for
    /// keys such as `data-old/…`, which the filter drops. (A repository under
    /// a prefix still sends `prefix=a%2Fdata`: correct for S3, refused by moto.)
    func listPrefix(_ kind: ObjectKind) -> String {
        root + kind.rawValue
    }

    /// The object a listed key names, or nil when the key is not one of
    /// `kind`'s objects (another folder, a deeper or shallower path).
    func handle(forKey key: String, kind: ObjectKind) -> ObjectHandle? {
        guard key.hasPrefix(root) else { return nil }
        let path = key.dropFirst(root.count)
        if kind == .config { return path == "config" ? .config : nil }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.first == Substring(kind.rawValue) else { return nil }
        switch kind {
        case .data:
            // data/<xx>/<name>, in the folder of the name's first two characters.
            guard parts.count == 3, !parts[2].isEmpty, parts[2].hasPrefix(parts[1]), parts[1].count == 2 else { return nil }
            return ObjectHandle(kind: kind, name: String(parts[2]))
        default:
            guard parts.count == 2, !parts[1].isEmpty else { return nil }
            return ObjectHandle(kind: kind, name: String(parts[1]))
        }
    }
}
