/// Lets global options come before the subcommand, as restic users type them
/// (`tessera -r REPO snapshot list`): ArgumentParser only accepts a
/// subcommand's options after its name, so those leading options are moved to
/// the end (before a `--`, if any).
enum GlobalArgumentOrder {
    /// Global options that take a value, and those that do not.
    static let valued: Set<String> = ["-r", "--repo", "--password-file", "--cache-dir", "--connections", "--limit-upload", "--limit-download"]
    static let flags: Set<String> = ["--json", "-q", "--quiet", "-v", "--verbose"]

    static func normalize(_ arguments: [String]) -> [String] {
        var leading = [String]()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            if valued.contains(argument), index + 1 < arguments.count {
                leading += [argument, arguments[index + 1]]
                index += 2
            } else if argument.hasPrefix("--"), argument.contains("="), valued.contains(name) {
                leading.append(argument)
                index += 1
            } else if flags.contains(argument) {
                leading.append(argument)
                index += 1
            } else {
                break
            }
        }
        guard !leading.isEmpty else { return arguments }
        var rest = Array(arguments[index...])
        if rest.isEmpty || rest.allSatisfy({ $0.hasPrefix("-") }) { return rest + leading }  // e.g. `tessera -r X --help`
        if let separator = rest.firstIndex(of: "--") {
            rest.insert(contentsOf: leading, at: separator)
            return rest
        }
        return rest + leading
    }
}
