import Foundation

/// Parses repository URLs (cli.md "Repository URLs").
public enum BackendLocation {
    public static func parse(_ location: String) throws -> any Backend {
        if location.hasPrefix("local:") { return LocalBackend(path: String(location.dropFirst("local:".count))) }
        if location.hasPrefix("/") || location.hasPrefix(".") || !location.contains(":") {
            return LocalBackend(path: location)
        }
        let scheme = location.prefix { $0 != ":" }
        switch scheme {
        case "s3", "rest", "gdrive", "onedrive", "dropbox", "azure":
            throw TesseraError.invalidArgument("the \(scheme) backend is not available in this version of tessera yet; use a local folder")
        default:
            // A relative path that happens to contain a colon.
            return LocalBackend(path: location)
        }
    }
}
