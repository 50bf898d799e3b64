import Foundation
import Testing
import TesseraBackends
import TesseraCore

@Suite("RepositoryURL and BackendFactory")
struct BackendFactoryTests {
    @Test("Each URL form names its backend")
    func parses() throws {
        #expect(try RepositoryURL.parse("/srv/repo") == .local(path: "/srv/repo"))
        #expect(try RepositoryURL.parse("local:/srv/repo") == .local(path: "/srv/repo"))
        #expect(try RepositoryURL.parse("relative/with:colon") == .local(path: "relative/with:colon"))
        #expect(try RepositoryURL.parse("s3:http://127.0.0.1:9000/bucket/p") == .s3(S3Location(scheme: "http", host: "127.0.0.1", port: 9000, bucket: "bucket", prefix: "p")))
        #expect(try RepositoryURL.parse("rest:http://127.0.0.1:8000/") == .rest(try RESTLocation.parse("http://127.0.0.1:8000/")))
    }

    @Test("Planned backends are unsupported, malformed URLs invalid")
    func refuses() {
        for scheme in ["gdrive", "onedrive", "dropbox", "azure"] {
            #expect(throws: RepositoryURL.Failure.unsupported(scheme: scheme)) { try RepositoryURL.parse("\(scheme):folder") }
        }
        for text in ["", "s3:https://host", "rest:ftp://x/", "local:"] {
            #expect {
                try RepositoryURL.parse(text)
            } throws: { error in
                if case .invalid = error as? RepositoryURL.Failure { return true }
                return false
            }
        }
    }

    @Test("Remote backends get the connection limit and an HTTP counter; local folders neither")
    func stacks() throws {
        var options = BackendOptions(environment: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"])
        let s3 = try BackendFactory.make(try RepositoryURL.parse("s3:http://127.0.0.1:9/bucket"), options: options)
        #expect(s3.connections == BackendOptions.defaultRemoteConnections)
        #expect(s3.httpRequests != nil)
        let windowed = try #require(s3.backend as? WindowedReadBackend)
        #expect(windowed.inner is RetryingBackend)
        let local = try BackendFactory.make(.local(path: "/tmp/x"), options: options)
        #expect(local.connections == nil)
        #expect(local.httpRequests == nil)
        options.connections = 2
        options.uploadBytesPerSecond = 1024
        let limited = try BackendFactory.make(.local(path: "/tmp/x"), options: options)
        #expect(limited.connections == 2)
        let retrying = try #require(limited.backend as? RetryingBackend)
        let bandwidth = try #require(retrying.inner as? BandwidthLimitedBackend)
        let counting = try #require(bandwidth.inner as? RequestCountingBackend)
        #expect(counting === limited.operations)
        let connections = try #require(counting.inner as? ConnectionLimitedBackend)
        #expect(connections.inner is LocalBackend)
    }

    @Test("S3 without credentials is refused with where to put them")
    func missingCredentials() {
        #expect(throws: TesseraError.self) {
            try BackendFactory.make(try RepositoryURL.parse("s3:http://127.0.0.1:9/bucket"), options: BackendOptions(environment: ["HOME": "/nonexistent"]))
        }
    }
}
