import Foundation

/// The URL of one S3 request, built from a bucket-relative key and query
/// items, with the path and query percent-encoded once by SigV4's rules, so
/// that what is signed is exactly what is sent.
public struct S3RequestTarget: Sendable, Equatable {
    public var url: String
    /// The host name as it goes on the wire (with the bucket for virtual-hosted requests).
    public var host: String
    /// The `Host` header: the host, with the port unless it is the scheme's
    /// default (HTTP clients leave that out, and the signature must match).
    public var hostHeader: String
    public var percentEncodedPath: String
    public var percentEncodedQuery: String

    /// - Parameters:
    ///   - key: the object's key, or nil for a request on the bucket itself.
    ///   - query: items in the order they are sent; an empty value is sent as `name=`.
    public init(location: S3Location, addressing: S3Addressing, key: String?, query: [(String, String)] = []) {
        let encodedKey = key.map { SigV4Encoding.uriEncode($0, keepSlash: true) }
        switch addressing {
        case .path:
            host = location.host
            percentEncodedPath = "/" + SigV4Encoding.uriEncode(location.bucket, keepSlash: false) + (encodedKey.map { "/" + $0 } ?? "")
        case .virtualHosted:
            host = location.bucket + "." + location.host
            percentEncodedPath = "/" + (encodedKey ?? "")
        }
        percentEncodedQuery = query
            .map { SigV4Encoding.uriEncode($0.0, keepSlash: false) + "=" + SigV4Encoding.uriEncode($0.1, keepSlash: false) }
            .joined(separator: "&")
        let port = location.port.map { ":\($0)" } ?? ""
        let isDefaultPort = (location.scheme == "http" && location.port == 80) || (location.scheme == "https" && location.port == 443)
        hostHeader = host + (isDefaultPort ? "" : port)
        url = "\(location.scheme)://\(host)\(port)\(percentEncodedPath)" + (percentEncodedQuery.isEmpty ? "" : "?\(percentEncodedQuery)")
    }
}
