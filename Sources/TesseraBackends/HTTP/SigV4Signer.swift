import Crypto
import Foundation
import TesseraCore

/// AWS Signature Version 4 for requests signed in the `Authorization`
/// header, with the body hashed in one piece (or `UNSIGNED-PAYLOAD`).
///
/// `sign` returns the headers to add to the request. Every header the
/// caller passes is signed, so pass only what is sent unchanged end to end
/// (e.g. `range`, `content-type`, `x-amz-*`), never hop-by-hop headers. The
/// signer supplies `host` (from the URL unless the caller passes one),
/// `x-amz-date`, `x-amz-content-sha256` and, with a session token,
/// `x-amz-security-token`; caller values for those and for `authorization`
/// are ignored.
///
/// The steps are public so each can be checked against AWS's published
/// examples: `canonicalRequest` → `stringToSign` → `signature`.
public struct SigV4Signer: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"

    public let credentials: AWSCredentials
    public let region: String
    public let service: String

    public init(credentials: AWSCredentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The canonical request and the `;`-joined names of the headers it signs.
    public struct CanonicalRequest: Sendable, Equatable {
        public let text: String
        public let signedHeaders: String
    }

    // MARK: - Signing

    /// Signs a request for `url`; see the type's documentation for which
    /// headers are signed. Returns `Authorization`, `x-amz-date`,
    /// `x-amz-content-sha256` and, with a session token, `x-amz-security-token`.
    public func sign(
        method: String, url: URL, headers: [(String, String)], payloadHash: String, date: Date
    ) -> [(String, String)] {
        let parts = Self.requestParts(of: url)
        let host = headers.last { $0.0.lowercased() == "host" }?.1 ?? parts.host
        return sign(
            method: method, host: host,
            percentEncodedPath: parts.path, percentEncodedQuery: parts.query,
            headers: headers, payloadHash: payloadHash, date: date
        )
    }

    /// Signs a request given its parts as they go on the wire: the `Host`
    /// header value (with a non-default port, e.g. `127.0.0.1:9000`) and the
    /// percent-encoded path and query of the request line.
    public func sign(
        method: String, host: String, percentEncodedPath: String, percentEncodedQuery: String?,
        headers: [(String, String)], payloadHash: String, date: Date
    ) -> [(String, String)] {
        let timestamp = SigV4Timestamp(date)
        let canonical = canonicalRequest(
            method: method, host: host,
            percentEncodedPath: percentEncodedPath, percentEncodedQuery: percentEncodedQuery,
            headers: headers, payloadHash: payloadHash, date: date
        )
        let toSign = stringToSign(canonicalRequest: canonical.text, date: date)
        let authorization = Self.algorithm
            + " Credential=\(credentials.accessKeyID)/\(credentialScope(timestamp))"
            + ",SignedHeaders=\(canonical.signedHeaders)"
            + ",Signature=\(signature(stringToSign: toSign, date: date))"
        var added: [(String, String)] = [
            ("Authorization", authorization),
            ("x-amz-date", timestamp.amzDate),
            ("x-amz-content-sha256", payloadHash),
        ]
        if let token = credentials.sessionToken {
            added.append(("x-amz-security-token", token))
        }
        return added
    }

    // MARK: - The steps

    /// Step 1: the canonical request, with the headers the signer adds.
    public func canonicalRequest(
        method: String, host: String, percentEncodedPath: String, percentEncodedQuery: String?,
        headers: [(String, String)], payloadHash: String, date: Date
    ) -> CanonicalRequest {
        var all: [(String, String)] = headers.filter { !Self.signerOwned.contains($0.0.lowercased()) }
        all.append(("host", host))
        all.append(("x-amz-date", SigV4Timestamp(date).amzDate))
        all.append(("x-amz-content-sha256", payloadHash))
        if let token = credentials.sessionToken {
            all.append(("x-amz-security-token", token))
        }
        let canonical = Self.canonicalHeaders(all)
        let text = [
            method.uppercased(),
            SigV4Encoding.canonicalURI(percentEncodedPath: percentEncodedPath),
            SigV4Encoding.canonicalQuery(percentEncodedQuery: percentEncodedQuery),
            canonical.block,
            canonical.signedHeaders,
            payloadHash,
        ].joined(separator: "\n")
        return CanonicalRequest(text: text, signedHeaders: canonical.signedHeaders)
    }

    /// Step 2: the string to sign.
    public func stringToSign(canonicalRequest: String, date: Date) -> String {
        let timestamp = SigV4Timestamp(date)
        return [
            Self.algorithm,
            timestamp.amzDate,
            credentialScope(timestamp),
            SigV4PayloadHash.sha256Hex(Data(canonicalRequest.utf8)),
        ].joined(separator: "\n")
    }

    /// Step 3: the hex signature of `stringToSign`.
    public func signature(stringToSign: String, date: Date) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: signingKey(date: date))
        return HexCoding.encode(mac)
    }

    /// `HMAC("AWS4" + secret, yyyymmdd)` → region → service → `aws4_request`.
    public func signingKey(date: Date) -> SymmetricKey {
        var key = SymmetricKey(data: Data(("AWS4" + credentials.secretAccessKey).utf8))
        for step in [SigV4Timestamp(date).dateStamp, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(step.utf8), using: key)))
        }
        return key
    }

    /// `yyyymmdd/region/service/aws4_request`.
    public func credentialScope(date: Date) -> String {
        credentialScope(SigV4Timestamp(date))
    }

    // MARK: - Helpers

    private func credentialScope(_ timestamp: SigV4Timestamp) -> String {
        "\(timestamp.dateStamp)/\(region)/\(service)/aws4_request"
    }

    /// Headers whose values the signer itself provides.
    private static let signerOwned: Set<String> = [
        "authorization", "host", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token",
    ]

    /// Lower-cased names, trimmed values with runs of spaces collapsed,
    /// repeated names joined with `,` in the order given, sorted by name.
    public static func canonicalHeaders(_ headers: [(String, String)]) -> (block: String, signedHeaders: String) {
        var merged: [String: [String]] = [:]
        for (name, value) in headers {
            merged[name.lowercased(), default: []].append(normalizedValue(value))
        }
        let sorted = merged.sorted { $0.key < $1.key }
        let block = sorted.map { "\($0.key):\($0.value.joined(separator: ","))\n" }.joined()
        return (block, sorted.map(\.key).joined(separator: ";"))
    }

    private static func normalizedValue(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    /// The `Host` header value, percent-encoded path and query of a URL.
    /// The port is kept unless it is the scheme's default (80, 443), which
    /// HTTP clients leave out of `Host`.
    static func requestParts(of url: URL) -> (host: String, path: String, query: String?) {
        let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        var host = components?.percentEncodedHost ?? ""
        if host.contains(":"), !host.hasPrefix("[") { host = "[\(host)]" }  // IPv6 literal
        if let port = components?.port {
            let scheme = components?.scheme?.lowercased()
            let isDefault = (scheme == "http" && port == 80) || (scheme == "https" && port == 443)
            if !isDefault { host += ":\(port)" }
        }
        return (host, components?.percentEncodedPath ?? "", components?.percentEncodedQuery)
    }
}
