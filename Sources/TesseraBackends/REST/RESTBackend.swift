import Foundation
import TesseraCore

/// A repository behind a server that speaks restic's REST protocol, version 2
/// (restic's rest-server, `rclone serve restic`, …): `POST /?create=true`,
/// `GET/HEAD/POST/DELETE /<type>/<name>` (packs as `/data/<name>`: the
/// server spreads them over its own `data/<xx>/` folders), `/config`, and
/// `GET /<type>/` listing `[{"name", "size"}]`. Ranged loads send `Range`.
public struct RESTBackend: Backend {
    public let restLocation: RESTLocation
    let transport: HTTPTransport
    private let authorization: String?

    static let maxObjectSize = 8 << 30
    static let maxListingSize = 256 << 20
    static let listingType = "application/vnd.x.restic.rest.v2"

    public init(location: RESTLocation, transport: HTTPTransport = HTTPTransport()) {
        restLocation = location
        self.transport = transport
        if let user = location.user {
            let pair = "\(user.removingPercentEncoding ?? user):\((location.password ?? "").removingPercentEncoding ?? "")"
            authorization = "Basic " + Data(pair.utf8).base64EncodedString()
        } else {
            authorization = nil
        }
    }

    public var location: String { restLocation.description }

    /// The object's path under the repository root: restic names packs `data/<name>`.
    static func path(_ handle: ObjectHandle) -> String {
        handle.kind == .config ? "config" : "\(handle.kind.rawValue)/\(handle.name)"
    }

    // MARK: - Backend

    public func save(_ handle: ObjectHandle, data: Data) async throws {
        let reply = try await send("POST", path: Self.path(handle), headers: [("Content-Type", "application/octet-stream")], body: data, operation: "save", object: handle.path)
        guard reply.isSuccess else { throw error(reply, operation: "save", object: handle.path, handle: nil) }
    }

    public func load(_ handle: ObjectHandle, range: Range<Int64>?) async throws -> Data {
        guard let range else {
            let reply = try await send("GET", path: Self.path(handle), maxBody: Self.maxObjectSize, operation: "load", object: handle.path)
            guard reply.status == 200 else { throw error(reply, operation: "load", object: handle.path, handle: handle) }
            return reply.body
        }
        guard range.lowerBound >= 0, !range.isEmpty else {
            throw BackendError.io(operation: "load", object: handle.path, reason: "bytes \(range) is not a valid range")
        }
        let reply = try await send(
            "GET", path: Self.path(handle), headers: [("Range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")],
            maxBody: Int(clamping: max(range.upperBound, 1 << 20)), operation: "load", object: handle.path
        )
        switch reply.status {
        case 206 where reply.body.count == range.count:
            return reply.body
        case 200 where Int64(reply.body.count) >= range.upperBound:
            return reply.body.subdata(in: Int(range.lowerBound)..<Int(range.upperBound))
        case 200, 206, 416:
            // rclone answers a range past the end with 206 and no bytes.
            throw BackendError.io(operation: "load", object: handle.path, reason: "bytes \(range) lie outside the object (the server sent \(reply.body.count) bytes, status \(reply.status))")
        default:
            throw error(reply, operation: "load", object: handle.path, handle: handle)
        }
    }

    public func stat(_ handle: ObjectHandle) async throws -> ObjectInfo {
        let reply = try await send("HEAD", path: Self.path(handle), operation: "stat", object: handle.path)
        guard reply.status == 200 else { throw error(reply, operation: "stat", object: handle.path, handle: handle) }
        guard let length = reply.header("Content-Length").flatMap({ Int64($0) }), length >= 0 else {
            throw BackendError.io(operation: "stat", object: handle.path, reason: "the server gave no size (Content-Length)")
        }
        return ObjectInfo(handle: handle, size: length)
    }

    public func list(_ kind: ObjectKind) async throws -> [ObjectInfo] {
        if kind == .config {
            do {
                return [try await stat(.config)]
            } catch BackendError.notFound {
                return []
            }
        }
        let reply = try await send("GET", path: "\(kind.rawValue)/", headers: [("Accept", Self.listingType)], maxBody: Self.maxListingSize, operation: "list", object: kind.rawValue)
        // rest-server answers 404 for a folder of a repository not created yet.
        if reply.status == 404 { return [] }
        guard reply.status == 200 else { throw error(reply, operation: "list", object: kind.rawValue, handle: nil) }
        struct Entry: Decodable {
            var name: String
            var size: Int64
        }
        let entries: [Entry]
        do {
            entries = try JSONDecoder().decode([Entry].self, from: reply.body)
        } catch {
            throw BackendError.io(operation: "list", object: kind.rawValue, reason: "the server's listing is not restic REST v2 JSON (\(reply.bodySnippet.prefix(100)))")
        }
        return entries.filter { !$0.name.isEmpty && !$0.name.contains("/") }.map {
            ObjectInfo(handle: ObjectHandle(kind: kind, name: $0.name), size: $0.size)
        }
    }

    public func delete(_ handle: ObjectHandle) async throws {
        let reply = try await send("DELETE", path: Self.path(handle), operation: "delete", object: handle.path)
        guard reply.isSuccess else { throw error(reply, operation: "delete", object: handle.path, handle: handle) }
    }

    public func create() async throws {
        let reply = try await send("POST", path: "?create=true", operation: "create the repository at", object: restLocation.baseURL)
        guard reply.isSuccess else { throw error(reply, operation: "create the repository at", object: restLocation.baseURL, handle: nil) }
    }

    // MARK: - Requests

    private func send(
        _ method: String, path: String, headers: [(String, String)] = [], body: Data? = nil,
        maxBody: Int = 1 << 20, operation: String, object: String
    ) async throws -> HTTPReply {
        var all = headers
        if let authorization { all.append(("Authorization", authorization)) }
        return try await transport.send(method, url: restLocation.baseURL + path, headers: all, body: body, maxBody: maxBody, operation: operation, object: object)
    }

    private func error(_ reply: HTTPReply, operation: String, object: String, handle: ObjectHandle?) -> BackendError {
        let said = reply.bodySnippet.isEmpty ? "HTTP \(reply.status)" : "HTTP \(reply.status), \(reply.bodySnippet.prefix(200))"
        if reply.status == 404, let handle { return .notFound(handle) }
        if reply.isTransientStatus {
            return .transient(operation: operation, object: object, reason: "the server is busy or failing (\(said))", retryAfter: reply.retryAfter())
        }
        if reply.status == 401 || reply.status == 403 {
            return .io(operation: operation, object: "\(object) at \(location)", reason: "access denied (\(said)); check the user name and password in the repository URL (rest:http://USER:PASSWORD@HOST:PORT/PATH)")
        }
        return .io(operation: operation, object: "\(object) at \(location)", reason: said)
    }
}
