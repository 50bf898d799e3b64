import Foundation
import TesseraCore

/// A repository in an S3 bucket (or any S3-compatible server), spoken to
/// directly over HTTP with AWS Signature V4.
///
/// Objects are stored under `prefix/` with the repository layout of
/// design.md. Saves above the multipart threshold go up in parts, in
/// parallel; loads of a byte range use a ranged GET. Retries, bandwidth
/// limits and request counting are not here: they are decorators
/// (`RetryingBackend`, …) around any backend. This type only reports each
/// failure as the right `BackendError`.
public struct S3Backend: Backend {
    public let configuration: S3Configuration
    let signer: SigV4Signer
    let transport: HTTPTransport
    let layout: S3KeyLayout
    let failure: S3Failure

    /// The largest object a whole load accepts (S3's own limit is 5 TiB; a pack is tens of MiB).
    static let maxObjectSize = 8 << 30
    /// Error and listing replies are small.
    static let maxReplySize = 16 << 20

    /// - Parameter profile: the credentials profile, named in messages about refused credentials.
    public init(configuration: S3Configuration, transport: HTTPTransport = HTTPTransport(), profile: String = "default") {
        self.configuration = configuration
        self.transport = transport
        signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region, service: "s3")
        layout = S3KeyLayout(prefix: configuration.location.prefix)
        failure = S3Failure(configuration: configuration, profile: profile)
    }

    public var location: String { configuration.location.description }

    // MARK: - Backend

    public func save(_ handle: ObjectHandle, data: Data) async throws {
        if data.count > configuration.multipartThreshold {
            try await saveInParts(handle, data: data)
            return
        }
        let reply = try await send("PUT", key: layout.key(handle), body: data, operation: "save", object: handle.path)
        guard reply.isSuccess else { throw failure.error(reply, operation: "save", object: handle.path, handle: nil) }
    }

    public func load(_ handle: ObjectHandle, range: Range<Int64>?) async throws -> Data {
        guard let range else {
            let reply = try await send("GET", key: layout.key(handle), maxBody: Self.maxObjectSize, operation: "load", object: handle.path)
            guard reply.status == 200 else { throw failure.error(reply, operation: "load", object: handle.path, handle: handle) }
            return reply.body
        }
        guard range.lowerBound >= 0, !range.isEmpty else {
            throw BackendError.io(operation: "load", object: handle.path, reason: "bytes \(range) is not a valid range")
        }
        let reply = try await send(
            "GET", key: layout.key(handle), headers: [("Range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")],
            // Enough for the range, for a server that sends the whole object, and for an error reply.
            maxBody: Int(clamping: max(range.upperBound, Int64(Self.maxReplySize))), operation: "load", object: handle.path
        )
        switch reply.status {
        case 206 where reply.body.count == range.count:
            return reply.body
        case 200 where Int64(reply.body.count) >= range.upperBound:
            // A server that ignores `Range` sends the whole object.
            return reply.body.subdata(in: Int(range.lowerBound)..<Int(range.upperBound))
        case 200, 206:
            throw BackendError.io(operation: "load", object: handle.path, reason: "bytes \(range) lie outside the object (the server sent \(reply.body.count) bytes)")
        default:
            throw failure.error(reply, operation: "load", object: handle.path, handle: handle)
        }
    }

    public func stat(_ handle: ObjectHandle) async throws -> ObjectInfo {
        let reply = try await send("HEAD", key: layout.key(handle), operation: "stat", object: handle.path)
        guard reply.status == 200 else { throw failure.error(reply, operation: "stat", object: handle.path, handle: handle) }
        guard let length = reply.header("Content-Length").flatMap({ Int64($0) }), length >= 0 else {
            throw BackendError.io(operation: "stat", object: handle.path, reason: "the server gave no size (Content-Length)")
        }
        return ObjectInfo(handle: handle, size: length)
    }

    /// ListObjectsV2, page after page (1000 keys each) by continuation token.
    public func list(_ kind: ObjectKind) async throws -> [ObjectInfo] {
        var found: [ObjectInfo] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", layout.listPrefix(kind))]
            if let token { query.append(("continuation-token", token)) }
            let reply = try await send("GET", key: nil, query: query, maxBody: Self.maxReplySize, operation: "list", object: kind.rawValue)
            // A bucket not created yet holds nothing (`init` asks before it creates one).
            if reply.status == 404, XMLFields(reply.body).first("Code") == "NoSuchBucket" { return [] }
            guard reply.status == 200 else { throw failure.error(reply, operation: "list", object: kind.rawValue, handle: nil) }
            let page = XMLFields(reply.body)
            for entry in page.blocks("Contents") {
                guard let key = entry.first("Key"), let size = entry.first("Size").flatMap({ Int64($0) }),
                      let handle = layout.handle(forKey: key, kind: kind) else { continue }
                found.append(ObjectInfo(handle: handle, size: size))
            }
            guard page.first("IsTruncated") == "true" else { break }
            guard let next = page.first("NextContinuationToken"), !next.isEmpty, next != token else {
                throw BackendError.io(operation: "list", object: kind.rawValue, reason: "the server said the listing goes on but gave no new continuation token")
            }
            token = next
        } while true
        return found
    }

    /// S3 answers a DELETE of a missing key with success, so the object is
    /// looked up first: the protocol promises `notFound` for a missing object.
    public func delete(_ handle: ObjectHandle) async throws {
        _ = try await stat(handle)
        let reply = try await send("DELETE", key: layout.key(handle), operation: "delete", object: handle.path)
        guard reply.isSuccess || reply.status == 404 else { throw failure.error(reply, operation: "delete", object: handle.path, handle: handle) }
    }

    /// Creates the bucket when it does not exist yet (as restic's `init` does).
    public func create() async throws {
        let bucket = "bucket \(configuration.location.bucket)"
        let head = try await send("HEAD", key: nil, operation: "look up", object: bucket)
        if head.isSuccess { return }
        guard head.status == 404 else { throw failure.error(head, operation: "look up", object: bucket, handle: nil) }
        var body: Data?
        if configuration.region != "us-east-1" {
            // us-east-1 is the default and must not be named.
            body = Data(
                ("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>"
                    + XMLFields.escape(configuration.region) + "</LocationConstraint></CreateBucketConfiguration>").utf8
            )
        }
        let reply = try await send("PUT", key: nil, body: body, operation: "create", object: bucket)
        let code = XMLFields(reply.body).first("Code")
        guard reply.isSuccess || code == "BucketAlreadyOwnedByYou" else {
            throw failure.error(reply, operation: "create", object: bucket, handle: nil)
        }
    }

    // MARK: - Requests

    /// Signs and sends one request; the reply may be an error reply.
    func send(
        _ method: String, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [],
        body: Data? = nil, maxBody: Int = maxReplySize, operation: String, object: String
    ) async throws -> HTTPReply {
        let target = S3RequestTarget(location: configuration.location, addressing: configuration.addressing, key: key, query: query)
        let payloadHash = body.map { SigV4PayloadHash.sha256Hex($0) } ?? SigV4PayloadHash.empty
        let signed = signer.sign(
            method: method, host: target.hostHeader,
            percentEncodedPath: target.percentEncodedPath, percentEncodedQuery: target.percentEncodedQuery,
            headers: headers, payloadHash: payloadHash, date: Date()
        )
        return try await transport.send(
            method, url: target.url, headers: headers + signed, body: body, maxBody: maxBody, operation: operation, object: object
        )
    }
}
