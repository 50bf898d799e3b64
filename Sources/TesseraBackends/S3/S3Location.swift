import Foundation

/// Where an S3 repository lives, from the part of a repository URL after
/// `s3:` (cli.md): `https://host[:port]/bucket[/prefix]`, `http://…` for a
/// server on loopback, or `host/bucket[/prefix]` (HTTPS), as restic writes it.
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    public var scheme: String
    public var host: String
    /// Only when the URL names one.
    public var port: Int?
    public var bucket: String
    /// The folder inside the bucket, without leading or trailing `/`; empty for the bucket's root.
    public var prefix: String

    public init(scheme: String = "https", host: String, port: Int? = nil, bucket: String, prefix: String = "") {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.bucket = bucket
        self.prefix = prefix
    }

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Parses `https://host[:port]/bucket[/prefix]` or `host/bucket[/prefix]`.
    public static func parse(_ text: String) throws -> S3Location {
        let usage = "write s3:https://HOST[:PORT]/BUCKET[/PREFIX], e.g. s3:https://s3.eu-west-1.amazonaws.com/my-bucket/laptop"
        var rest = Substring(text)
        var scheme = "https"
        for candidate in ["https", "http"] where rest.lowercased().hasPrefix(candidate + "://") {
            scheme = candidate
            rest = rest.dropFirst(candidate.count + 3)
        }
        if rest.contains("://") { throw Invalid(description: "\"s3:\(text)\": only http and https are supported; \(usage)") }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count >= 2 else {
            throw Invalid(description: "\"s3:\(text)\" names no bucket; \(usage)")
        }
        let authority = parts[0]
        var host = String(authority)
        var port: Int?
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else {
                throw Invalid(description: "\"s3:\(text)\": \"\(authority)\" has no valid port; \(usage)")
            }
            host = String(authority[..<colon])
            port = number
        }
        guard !host.isEmpty, !host.contains("@") else { throw Invalid(description: "\"s3:\(text)\" names no host; \(usage)") }
        let bucket = String(parts[1])
        guard Self.isValidBucketName(bucket) else {
            throw Invalid(description: "\"\(bucket)\" is not a valid S3 bucket name (3 to 63 characters: lower-case letters, digits, '.', '-')")
        }
        let prefix = parts.dropFirst(2).joined(separator: "/")
        return S3Location(scheme: scheme, host: host.lowercased(), port: port, bucket: bucket, prefix: prefix)
    }

    /// The rules S3 applies to names of new buckets.
    public static func isValidBucketName(_ name: String) -> Bool {
        guard (3...63).contains(name.utf8.count) else { return false }
        let allowed = name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
        guard allowed, let first = name.utf8.first, let last = name.utf8.last else { return false }
        return first != UInt8(ascii: "-") && first != UInt8(ascii: ".") && last != UInt8(ascii: "-") && last != UInt8(ascii: ".")
    }

    /// `host` or `host:port`, as given.
    public var authority: String { port.map { "\(host):\($0)" } ?? host }

    public var description: String {
        "s3:\(scheme)://\(authority)/\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)")
    }
}
