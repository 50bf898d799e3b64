import Foundation

/// `mkdir -p` with the system's own reason on failure, for messages that name
/// the path and say why (Foundation's errors are not fit to show a user).
public enum PathCreation {
    /// Creates `path` and its missing parents; nil on success, else the reason.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) -> String? {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
            if mkdir(prefix, mode) != 0, errno != EEXIST {
                return "\(prefix): \(FileSystemError.reason(errno))"
            }
        }
        var info = stat()
        guard stat(path, &info) == 0 else { return FileSystemError.reason(errno) }
        return (info.st_mode & S_IFMT) == S_IFDIR ? nil : "\(path) exists and is not a folder"
    }
}
