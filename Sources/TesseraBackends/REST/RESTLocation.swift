import Foundation

/// Where a restic REST server keeps a repository, from the part of a
/// repository URL after `rest:` (cli.md): `http(s)://[user:password@]host:port/[path]`.
public struct RESTLocation: Sendable, Equatable, CustomStringConvertible {
    /// The repository's root URL, ending in `/`, without credentials.
    public var baseURL: String
    public var user: String?
    public var password: String?

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public static func parse(_ text: String) throws -> RESTLocation {
        let usage = "write rest:http://HOST:PORT/[PATH], e.g. rest:http://127.0.0.1:8000/laptop/"
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https" else {
            throw Invalid(description: "\"rest:\(text)\" is not an http or https URL; \(usage)")
        }
        guard let host = components.percentEncodedHost, !host.isEmpty else {
            throw Invalid(description: "\"rest:\(text)\" names no host; \(usage)")
        }
        guard components.query == nil, components.fragment == nil else {
            throw Invalid(description: "\"rest:\(text)\": a repository URL takes no query or fragment; \(usage)")
        }
        var path = components.percentEncodedPath
        if !path.hasSuffix("/") { path += "/" }
        if !path.hasPrefix("/") { path = "/" + path }
        let port = components.port.map { ":\($0)" } ?? ""
        return RESTLocation(baseURL: "\(scheme)://\(host)\(port)\(path)", user: components.user, password: components.password)
    }

    /// Never shows the password.
    public var description: String {
        guard let user else { return "rest:\(baseURL)" }
        let schemeEnd = baseURL.range(of: "://").map { $0.upperBound } ?? baseURL.startIndex
        return "rest:" + baseURL[..<schemeEnd] + "\(user):***@" + baseURL[schemeEnd...]
    }
}
