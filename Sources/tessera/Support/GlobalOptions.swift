import ArgumentParser
import Foundation

/// Options every command takes (cli.md "Selecting a repository and a password").
struct GlobalOptions: ParsableArguments {
    @Option(name: [.customShort("r"), .customLong("repo")], help: ArgumentHelp("Repository location (or TESSERA_REPOSITORY).", valueName: "URL"))
    var repository: String?

    @Option(name: .customLong("password-file"), help: ArgumentHelp("Read the password from FILE.", valueName: "FILE"))
    var passwordFile: String?

    @Option(name: .customLong("cache-dir"), help: ArgumentHelp("Local index and cache folder (or TESSERA_CACHE_DIR).", valueName: "DIR"))
    var cacheDirectory: String?

    @Flag(name: .customLong("json"), help: "Machine-readable output (JSON).")
    var json = false

    @Flag(name: [.short, .long], help: "Print less.")
    var quiet = false

    @Flag(name: [.short, .long], help: "Print more.")
    var verbose = false

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
