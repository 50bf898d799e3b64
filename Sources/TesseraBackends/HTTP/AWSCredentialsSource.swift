import Foundation

/// Finds AWS credentials and the region as the AWS tools do (cli.md): the
/// environment first (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`, `AWS_REGION` / `AWS_DEFAULT_REGION`), then the
/// profile `AWS_PROFILE` (default `default`) of `~/.aws/credentials`
/// (`AWS_SHARED_CREDENTIALS_FILE`) and, for the region, of `~/.aws/config`
/// (`AWS_CONFIG_FILE`).
public struct AWSCredentialsSource: Sendable {
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    public enum Failure: Error, CustomStringConvertible, Sendable {
        case missing(profile: String, file: String)

        public var description: String {
            switch self {
            case .missing(let profile, let file):
                "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or put aws_access_key_id and aws_secret_access_key in the [\(profile)] profile of \(file) (AWS_PROFILE chooses the profile)"
            }
        }
    }

    private func value(_ name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }

    public var profile: String { value("AWS_PROFILE") ?? "default" }

    private var home: String { value("HOME") ?? NSHomeDirectory() }
    var credentialsFile: String { value("AWS_SHARED_CREDENTIALS_FILE") ?? home + "/.aws/credentials" }
    var configFile: String { value("AWS_CONFIG_FILE") ?? home + "/.aws/config" }

    public func credentials() throws -> AWSCredentials {
        if let key = value("AWS_ACCESS_KEY_ID"), let secret = value("AWS_SECRET_ACCESS_KEY") {
            return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"))
        }
        let section = Self.section(profile, ofFile: credentialsFile)
        guard let key = section["aws_access_key_id"], let secret = section["aws_secret_access_key"] else {
            throw Failure.missing(profile: profile, file: credentialsFile)
        }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: section["aws_session_token"])
    }

    /// The region from the environment or the profile; nil when none is set.
    public var region: String? {
        if let region = value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") { return region }
        // ~/.aws/config names profiles "[profile NAME]", except the default.
        let configSection = profile == "default" ? "default" : "profile \(profile)"
        return Self.section(configSection, ofFile: configFile)["region"]
            ?? Self.section(profile, ofFile: credentialsFile)["region"]
    }

    /// The `key = value` pairs of `[name]` in an INI file; empty when the
    /// file or the section is missing.
    static func section(_ name: String, ofFile path: String) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        return section(name, of: String(decoding: data, as: UTF8.self))
    }

    static func section(_ name: String, of text: String) -> [String: String] {
        var inSection = false
        var values: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let header = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                inSection = header == name
                continue
            }
            guard inSection, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if values[key] == nil { values[key] = value }
        }
        return values
    }
}
