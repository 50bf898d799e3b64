import AsyncHTTPClient
import Foundation
import Testing
import TesseraBackends
import TesseraCore
import TesseraTestServers

/// The conformance suite against `rclone serve restic` on loopback, a fresh
/// repository path per check.
@Suite("RESTBackend conformance (rclone serve restic)")
struct RESTBackendConformanceTests {
    @Test(arguments: BackendConformance.Check.allCases)
    func conforms(to check: BackendConformance.Check) async throws {
        let server = try await RcloneRESTServer.shared()
        try await BackendConformance {
            let backend = RESTBackend(location: try RESTLocation.parse(String(server.freshRepositoryURL().dropFirst("rest:".count))))
            try await backend.create()
            return backend
        }.run(check)
    }
}

@Suite("RESTBackend")
struct RESTBackendTests {
    @Test("Packs are stored as data/<xx>/<name> by the server; config at the root")
    func layoutOnTheServer() async throws {
        let server = try await RcloneRESTServer.shared()
        let url = server.freshRepositoryURL()
        let backend = RESTBackend(location: try RESTLocation.parse(String(url.dropFirst("rest:".count))))
        try await backend.create()
        let pack = ObjectHandle(kind: .data, id: .random())
        try await backend.save(pack, data: Data("pack".utf8))
        try await backend.save(.config, data: Data("config".utf8))
        let repository = server.folder.appendingPathComponent(String(url.split(separator: "/").last ?? ""))
        #expect(FileManager.default.contents(atPath: repository.appendingPathComponent(pack.path).path) == Data("pack".utf8))
        #expect(FileManager.default.contents(atPath: repository.appendingPathComponent("config").path) == Data("config".utf8))
    }

    @Test("Repository URLs parse; passwords never show")
    func locations() throws {
        let plain = try RESTLocation.parse("http://127.0.0.1:8000")
        #expect(plain.baseURL == "http://127.0.0.1:8000/")
        let full = try RESTLocation.parse("https://me:s3cret@backup.example:443/laptop")
        #expect(full.baseURL == "https://backup.example:443/laptop/")
        #expect(full.user == "me")
        #expect(full.password == "s3cret")
        #expect(full.description == "rest:https://me:***@backup.example:443/laptop/")
        #expect(throws: RESTLocation.Invalid.self) { try RESTLocation.parse("ftp://host/") }
        #expect(throws: RESTLocation.Invalid.self) { try RESTLocation.parse("http:///nohost") }
        #expect(throws: RESTLocation.Invalid.self) { try RESTLocation.parse("http://host/?q=1") }
    }

    @Test("A server that is not there is a transient error, so it is retried")
    func unreachableIsTransient() async throws {
        // Nothing listens on port 1. The client keeps trying to connect until
        // its connect timeout, so this test's client has a short one.
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .milliseconds(300))))
        let backend = RESTBackend(location: try RESTLocation.parse("http://127.0.0.1:1/"), transport: HTTPTransport(client: client))
        await #expect(throws: BackendError.self) {
            do {
                _ = try await backend.stat(.config)
            } catch let error as BackendError {
                #expect(error.isTransient, "\(error)")
                throw error
            }
        }
        try await client.shutdown()
    }
}

@Suite("RESTBackend with basic auth (rclone --user --pass)")
struct RESTBackendAuthTests {
    @Test("The user and password of the URL are sent; a wrong password is refused with what to check, not retried")
    func basicAuth() async throws {
        let (server, process) = try await RcloneRESTServer.start(credentials: ("backup", "pa:ss word"))
        defer { process.stop() }
        let base = server.endpoint.absoluteString.replacingOccurrences(of: "http://", with: "")
        let good = RESTBackend(location: try RESTLocation.parse("http://backup:pa%3Ass%20word@\(base)repo/"))
        try await good.create()
        try await good.save(.config, data: Data("config".utf8))
        #expect(try await good.load(.config) == Data("config".utf8))
        #expect(!good.location.contains("pa%3Ass"), "the password shows in \(good.location)")

        let bad = RESTBackend(location: try RESTLocation.parse("http://backup:wrong@\(base)repo/"))
        do {
            _ = try await bad.load(.config)
            Issue.record("a wrong password was accepted")
        } catch let error as BackendError {
            #expect(!error.isTransient)
            #expect(error.description.contains("access denied"), "\(error)")
            #expect(error.description.contains("user name and password"), "\(error)")
            #expect(!error.description.contains("wrong"), "the password shows in: \(error)")
        }
    }
}
