import Foundation

extension ExcludeFilter {
    /// Reads an exclude file: one pattern per line, blank lines and lines starting with `#` skipped, surrounding whitespace trimmed; `$VAR`/`${VAR}` environment references expanded as restic does.
    public static func patterns(fromFile path: String) throws -> [String] {
        try patterns(fromFile: path, environment: ProcessInfo.processInfo.environment)
    }

    /// The environment is a parameter so tests need not change the process's own.
    static func patterns(fromFile path: String, environment: [String: String]) throws -> [String] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ExcludeFileError(path: path, reason: Self.reason(for: error))
        }
        guard var text = String(validating: data, as: UTF8.self) else {
            throw ExcludeFileError(path: path, reason: "it is not valid UTF-8")
        }
        // Editors on some systems start UTF-8 files with a byte order mark; restic drops it too.
        if text.unicodeScalars.first == "\u{FEFF}" {
            text.unicodeScalars.removeFirst()
        }
        return patterns(fromText: text, environment: environment)
    }

    /// The patterns in the text of an exclude file, with restic's line rules.
    static func patterns(fromText text: String, environment: [String: String]) -> [String] {
        var patterns: [String] = []
        // Lines end at "\n" only, as in Go; a "\r" before it is whitespace and trimmed.
        for line in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: true) {
            let trimmed = String(String.UnicodeScalarView(line)).trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            patterns.append(EnvironmentExpansion.expand(trimmed, environment: environment))
        }
        return patterns
    }

    private static func reason(for error: any Error) -> String {
        if let cocoa = error as? CocoaError, let posix = cocoa.underlying as? POSIXError {
            return FileSystemError.reason(posix.code.rawValue)
        }
        return error.localizedDescription
    }
}
