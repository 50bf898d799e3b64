import ArgumentParser
import Foundation
import TesseraBackends

/// Options every command takes (cli.md "Selecting a repository and a password").
struct GlobalOptions: ParsableArguments {
    @Option(name: [.customShort("r"), .customLong("repo")], help: ArgumentHelp("Repository location (or TESSERA_REPOSITORY).", valueName: "URL"))
    var repository: String?

    @Option(name: .customLong("password-file"), help: ArgumentHelp("Read the password from FILE.", valueName: "FILE"))
    var passwordFile: String?

    @Option(name: .customLong("cache-dir"), help: ArgumentHelp("Local index and cache folder (or TESSERA_CACHE_DIR).", valueName: "DIR"))
    var cacheDirectory: String?

    @Option(name: .customLong("connections"), help: ArgumentHelp("Requests to a remote repository in flight at once (default \(BackendOptions.defaultRemoteConnections); a local folder is not limited).", valueName: "N"))
    var connections: Int?

    @Option(name: .customLong("limit-upload"), help: ArgumentHelp("Limit uploads to KiB/s.", valueName: "KiB/s"))
    var limitUpload: Int?

    @Option(name: .customLong("limit-download"), help: ArgumentHelp("Limit downloads to KiB/s.", valueName: "KiB/s"))
    var limitDownload: Int?

    @Flag(name: .customLong("json"), help: "Machine-readable output (JSON).")
    var json = false

    @Flag(name: [.short, .long], help: "Print less.")
    var quiet = false

    @Flag(name: [.short, .long], help: "Print more.")
    var verbose = false

    func validate() throws {
        if let connections, connections < 1 { throw ValidationError("--connections takes a number of 1 or more") }
        if let limitUpload, limitUpload < 0 { throw ValidationError("--limit-upload takes KiB/s, 0 or more (0: no limit)") }
        if let limitDownload, limitDownload < 0 { throw ValidationError("--limit-download takes KiB/s, 0 or more (0: no limit)") }
    }

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    var repositoryLocation: String? { repository ?? environment["TESSERA_REPOSITORY"] }

    var cacheRoot: String {
        if let cacheDirectory { return cacheDirectory }
        if let fromEnvironment = environment["TESSERA_CACHE_DIR"], !fromEnvironment.isEmpty { return fromEnvironment }
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((environment["HOME"] ?? "/tmp") + "/.cache")
        return base + "/tessera"
    }

    var output: Output { Output(json: json, quiet: quiet, verbose: verbose) }
}
