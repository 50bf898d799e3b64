import AsyncHTTPClient
import Foundation
import Testing
import TesseraBackends
import TesseraCore
import TesseraTestServers

/// What the conformance suite does not cover, against moto with signatures checked.
@Suite("S3Backend (moto)")
struct S3BackendTests {
    @Test("A wrong secret key gives an error that names the bucket and what to check, and is not retried")
    func wrongSecretIsClearAndNotRetried() async throws {
        let server = try await MotoS3Server.shared()
        let bucket = MotoS3Server.freshBucketName()
        try await S3Backend(configuration: try server.configuration(bucket: bucket)).create()

        let requests = HTTPRequestCounter()
        let wrong = S3Backend(configuration: try server.configuration(bucket: bucket, secretAccessKey: "not-the-secret"), transport: HTTPTransport(counter: requests))
        let counting = RequestCountingBackend(wrong)
        let clock = VirtualClock()
        let retrying = RetryingBackend(counting, sleeper: clock)
        do {
            _ = try await retrying.load(.config)
            Issue.record("a load with a wrong secret succeeded")
        } catch let error as BackendError {
            #expect(!error.isTransient)
            let text = error.description
            for needle in ["SignatureDoesNotMatch", bucket, "AWS_SECRET_ACCESS_KEY", "region", "clock"] {
                #expect(text.contains(needle), "\(needle) in: \(text)")
            }
        }
        #expect(counting.counts.load == 1)
        #expect(requests.total == 1)
        #expect(clock.sleeps.isEmpty)
    }

    @Test("An unknown access key is refused as InvalidAccessKeyId")
    func unknownAccessKey() async throws {
        let server = try await MotoS3Server.shared()
        var configuration = try server.configuration(bucket: server.bucket)
        configuration.credentials = AWSCredentials(accessKeyID: "AKIANOSUCHKEY0000000", secretAccessKey: "x")
        await #expect(throws: BackendError.self) {
            do {
                try await S3Backend(configuration: configuration).save(ObjectHandle(kind: .lock, id: .random()), data: Data("x".utf8))
            } catch let error as BackendError {
                #expect(error.description.contains("InvalidAccessKeyId"), "\(error)")
                #expect(!error.isTransient)
                throw error
            }
        }
    }

    @Test("Objects above the threshold go up in parallel parts; smaller ones in one PUT")
    func multipartRequests() async throws {
        let server = try await MotoS3Server.shared()
        let requests = HTTPRequestCounter()
        let backend = S3Backend(configuration: try server.configuration(bucket: MotoS3Server.freshBucketName()), transport: HTTPTransport(counter: requests))
        try await backend.create()
        let before = requests.byMethod
        let large = ObjectHandle(kind: .data, id: .random())
        let data = Data.random(count: (12 << 20) + 3, seed: 9)
        try await backend.save(large, data: data)
        // Three parts (5 + 5 + 2 MiB): start, three PUTs, complete.
        #expect(requests.byMethod["PUT", default: 0] - before["PUT", default: 0] == 3)
        #expect(requests.byMethod["POST", default: 0] - before["POST", default: 0] == 2)
        #expect(try await backend.load(large) == data)
        try await backend.save(ObjectHandle(kind: .index, id: .random()), data: Data(count: 5 << 20))
        #expect(requests.byMethod["PUT", default: 0] - before["PUT", default: 0] == 4)
    }

    @Test("A repository under a prefix keeps its objects there, apart from another prefix's")
    func prefixesAreSeparate() async throws {
        let server = try await MotoS3Server.shared()
        let bucket = MotoS3Server.freshBucketName()
        let first = S3Backend(configuration: try server.configuration(bucket: bucket, prefix: "hosts/one"))
        let second = S3Backend(configuration: try server.configuration(bucket: bucket, prefix: "hosts/two"))
        let root = S3Backend(configuration: try server.configuration(bucket: bucket))
        try await first.create()
        try await first.save(.config, data: Data("one".utf8))
        #expect(try await first.load(.config) == Data("one".utf8))
        #expect(try await !second.exists(.config))
        #expect(try await !root.exists(.config))
        try await second.save(.config, data: Data("second".utf8))
        #expect(try await first.load(.config) == Data("one".utf8))
        try await first.delete(.config)
        #expect(try await second.load(.config) == Data("second".utf8))
    }
}

@Suite("S3Backend multipart failures (moto behind a fault proxy)")
struct S3MultipartAbortTests {
    @Test("A multipart upload whose parts fail is aborted: no upload is left behind, and the error is transient")
    func failedPartsAbortTheUpload() async throws {
        let server = try await MotoS3Server.shared()
        let proxy = try await FaultProxy.start(upstream: server.endpoint, rate: 0)
        defer { proxy.stop() }
        let bucket = MotoS3Server.freshBucketName()
        var configuration = try server.configuration(bucket: bucket)
        configuration.location.port = proxy.endpoint.port
        let backend = S3Backend(configuration: configuration)
        try await backend.create()

        try await proxy.fail(method: "PUT")
        let handle = ObjectHandle(kind: .data, id: .random())
        do {
            try await backend.save(handle, data: Data.random(count: 12 << 20, seed: 1))
            Issue.record("the save succeeded though every part upload failed")
        } catch let error as BackendError {
            #expect(error.isTransient, "\(error)")
        }
        try await proxy.up()
        #expect(try await !backend.exists(handle))
        let uploads = try await backend.listMultipartUploads()
        #expect(uploads.isEmpty, "uploads left: \(uploads)")
        let statistics = try await proxy.statistics()
        #expect(statistics.methods["DELETE", default: 0] >= 1, "no abort was sent: \(statistics)")
    }
}

@Suite("S3Backend and a stalled server")
struct S3StalledServerTests {
    @Test("A server that stops answering is a transient error after the read timeout, so it is retried")
    func stalledServerIsTransient() async throws {
        let server = try await MotoS3Server.shared()
        let proxy = try await FaultProxy.start(upstream: server.endpoint, rate: 0)
        defer { proxy.stop() }
        var configuration = try server.configuration(bucket: server.bucket)
        configuration.location.port = proxy.endpoint.port
        // The process-wide client waits 60 s; this one gives up after half a second of silence.
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(5), read: .milliseconds(500))))
        let backend = S3Backend(configuration: configuration, transport: HTTPTransport(client: client))
        #expect(try await !backend.exists(ObjectHandle(kind: .lock, id: .random())), "the proxy answers before it hangs")

        try await proxy.hang()
        let started = ContinuousClock.now
        await #expect(throws: BackendError.self) {
            do {
                _ = try await backend.load(.config)
            } catch let error as BackendError {
                #expect(error.isTransient, "\(error)")
                #expect(error.description.contains("127.0.0.1"), "\(error)")
                throw error
            }
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        try await client.shutdown()
    }
}
