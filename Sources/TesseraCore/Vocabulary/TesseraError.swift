/// The errors a user can meet, each with a message that names what failed and
/// what to do next. The CLI maps them to the exit codes of cli.md.
public enum TesseraError: Error, CustomStringConvertible, Sendable {
    /// No repository at that location (exit 10).
    case repositoryNotFound(location: String)
    /// `init` over an existing repository.
    case repositoryExists(location: String)
    /// Another process holds a conflicting lock (exit 11).
    case repositoryLocked(description: String)
    /// No key opens with this password (exit 12).
    case wrongPassword
    /// A password was needed and none was given.
    case noPassword(reason: String)
    /// An object has a format version or algorithm this build does not know.
    case unsupportedFormat(object: String, detail: String)
    /// An object failed authentication or does not decode: it is damaged.
    case damaged(object: String, detail: String)
    /// A blob is referenced but no pack holds it.
    case blobMissing(ID)
    /// A snapshot name (id prefix or `latest`) matched nothing, or more than one.
    case snapshotNotFound(String)
    case snapshotAmbiguous(String)
    /// A backend operation failed.
    case backend(operation: String, object: String, detail: String)
    /// The user asked for something invalid.
    case invalidArgument(String)
    /// Anything else, with its own message.
    case failed(String)

    public var description: String {
        switch self {
        case .repositoryNotFound(let location):
            "no repository at \(location): check the path or URL, or create one with `tessera init`"
        case .repositoryExists(let location):
            "a repository already exists at \(location); refusing to overwrite it"
        case .repositoryLocked(let description):
            "the repository is locked: \(description). If no other tessera process is running, remove stale locks with `tessera unlock`"
        case .wrongPassword:
            "wrong password or no usable key: no key in the repository opens with the password given"
        case .noPassword(let reason):
            "no password: \(reason). Give one with --password-file, TESSERA_PASSWORD, TESSERA_PASSWORD_FILE or TESSERA_PASSWORD_COMMAND"
        case .unsupportedFormat(let object, let detail):
            "\(object) uses a format this version of tessera does not understand (\(detail)); upgrade tessera"
        case .damaged(let object, let detail):
            "\(object) is damaged (\(detail)); run `tessera check --read-data` to see what it affects"
        case .blobMissing(let id):
            "blob \(id.short) is not in any pack; the repository is damaged. Run `tessera index rebuild`, then `tessera check`"
        case .snapshotNotFound(let name):
            "no snapshot matches \"\(name)\"; `tessera snapshot list` shows them"
        case .snapshotAmbiguous(let name):
            "\"\(name)\" matches more than one snapshot; give more digits of the id"
        case .backend(let operation, let object, let detail):
            "cannot \(operation) \(object): \(detail)"
        case .invalidArgument(let message), .failed(let message):
            message
        }
    }
}
