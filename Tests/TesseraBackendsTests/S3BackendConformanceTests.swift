import Foundation
import Testing
import TesseraBackends
import TesseraCore
import TesseraTestServers

/// The conformance suite against moto's S3 server on loopback, with
/// signatures checked. Each check gets a bucket of its own, created by the
/// backend's `create()`. Parts of 5 MiB (S3's minimum) above a 5 MiB
/// threshold, so the suite's 20 MiB object goes up in four parts.
@Suite("S3Backend conformance (moto)", .serialized)
struct S3BackendConformanceTests {
    @Test(arguments: BackendConformance.Check.allCases)
    func conforms(to check: BackendConformance.Check) async throws {
        let server = try await MotoS3Server.shared()
        try await BackendConformance {
            let backend = S3Backend(configuration: try server.configuration(bucket: MotoS3Server.freshBucketName()))
            try await backend.create()
            return backend
        }.run(check)
    }
}

extension MotoS3Server {
    /// Path-style requests to `bucket[/prefix]`, with small parts so that multipart uploads are cheap to test.
    func configuration(bucket: String, prefix: String = "", secretAccessKey: String? = nil) throws -> S3Configuration {
        let location = try S3Location.parse(repositoryURL(bucket: bucket, prefix: prefix).dropFirst("s3:".count).description)
        return S3Configuration(
            location: location, region: region,
            credentials: AWSCredentials(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey ?? self.secretAccessKey),
            multipartThreshold: 5 << 20, partSize: 5 << 20
        )
    }
}
