/// A repository location as the user writes it (cli.md "Repository URLs"),
/// parsed into the backend it names.
public enum RepositoryURL: Equatable, Sendable {
    case local(path: String)
    case s3(S3Location)
    case rest(RESTLocation)

    /// Schemes of backends that are planned but not written yet.
    public static let plannedSchemes: Set<String> = ["gdrive", "onedrive", "dropbox", "azure"]

    public enum Failure: Error, CustomStringConvertible, Sendable, Equatable {
        /// The URL is malformed: a wrong command line.
        case invalid(String)
        /// A backend this version does not have yet.
        case unsupported(scheme: String)

        public var description: String {
            switch self {
            case .invalid(let message): message
            case .unsupported(let scheme):
                "the \(scheme) backend is not supported yet by this version of tessera; use a local folder, s3: or rest: (rclone serve restic reaches \(scheme) too)"
            }
        }
    }

    /// `/path`, `local:/path`, `s3:…`, `rest:…`. Anything else without a
    /// known scheme is a relative path (which may contain a colon).
    public static func parse(_ text: String) throws(Failure) -> RepositoryURL {
        guard !text.isEmpty else { throw .invalid("the repository location is empty") }
        if text.hasPrefix("/") || text.hasPrefix(".") || !text.contains(":") { return .local(path: text) }
        let scheme = String(text.prefix { $0 != ":" })
        let rest = String(text.dropFirst(scheme.count + 1))
        switch scheme {
        case "local":
            guard !rest.isEmpty else { throw .invalid("\"local:\" names no folder; write local:/path/to/repository") }
            return .local(path: rest)
        case "s3":
            do {
                return .s3(try S3Location.parse(rest))
            } catch {
                throw .invalid("\(error)")
            }
        case "rest":
            do {
                return .rest(try RESTLocation.parse(rest))
            } catch {
                throw .invalid("\(error)")
            }
        case _ where plannedSchemes.contains(scheme):
            throw .unsupported(scheme: scheme)
        default:
            return .local(path: text)
        }
    }

    public var isRemote: Bool {
        if case .local = self { return false }
        return true
    }
}
