import Foundation
import Testing
@testable import TesseraBackends
import TesseraCore

@Suite("S3 error replies become typed backend errors")
struct S3FailureTests {
    let failure = S3Failure(
        configuration: S3Configuration(
            location: S3Location(scheme: "https", host: "s3.example.com", bucket: "photos"), region: "eu-west-1",
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "secret")
        ),
        profile: "default"
    )
    let handle = ObjectHandle(kind: .snapshot, name: "abc")

    func reply(_ status: Int, code: String? = nil, headers: [(name: String, value: String)] = []) -> HTTPReply {
        let body = code.map { "<Error><Code>\($0)</Code><Message>said the server</Message></Error>" } ?? ""
        return HTTPReply(status: status, headers: headers, body: Data(body.utf8))
    }

    @Test("404 and NoSuchKey are notFound; a missing bucket says so")
    func missing() {
        guard case .notFound(let missing) = failure.error(reply(404, code: "NoSuchKey"), operation: "load", object: "x", handle: handle) else {
            Issue.record("not notFound")
            return
        }
        #expect(missing == handle)
        let bucket = failure.error(reply(404, code: "NoSuchBucket"), operation: "load", object: "x", handle: handle)
        #expect(!bucket.isTransient)
        #expect(bucket.description.contains("bucket does not exist"))
    }

    @Test("5xx, 429 and SlowDown are transient, with the server's Retry-After", arguments: [
        (500, "InternalError"), (503, "SlowDown"), (429, nil), (502, nil), (400, "RequestTimeout"),
    ] as [(Int, String?)])
    func transient(status: Int, code: String?) {
        let error = failure.error(reply(status, code: code, headers: [("Retry-After", "7")]), operation: "save", object: "x", handle: nil)
        #expect(error.isTransient)
        #expect(error.retryAfter == 7)
    }

    @Test("Refused credentials name the bucket and what to check, and are not transient", arguments: [
        (403, "SignatureDoesNotMatch"), (403, "InvalidAccessKeyId"), (403, "AccessDenied"), (403, "RequestTimeTooSkewed"), (403, nil), (400, "AuthorizationHeaderMalformed"),
    ] as [(Int, String?)])
    func refused(status: Int, code: String?) {
        let error = failure.error(reply(status, code: code), operation: "load", object: "config", handle: .config)
        #expect(!error.isTransient)
        let text = error.description
        for needle in ["photos", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "region", "eu-west-1", "clock"] {
            #expect(text.contains(needle), "\(needle) in \(text)")
        }
        if let code { #expect(text.contains(code)) }
    }

    @Test("A bucket in another region says which")
    func otherRegion() {
        let error = failure.error(reply(301, code: "PermanentRedirect", headers: [("x-amz-bucket-region", "us-west-2")]), operation: "list", object: "data", handle: nil)
        #expect(!error.isTransient)
        #expect(error.description.contains("AWS_DEFAULT_REGION=us-west-2"))
    }

    @Test("Retry-After as an HTTP date")
    func retryAfterDate() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)  // Tue, 14 Nov 2023 22:13:20 GMT
        let later = HTTPReply(status: 503, headers: [("Retry-After", "Tue, 14 Nov 2023 22:13:50 GMT")], body: Data())
        #expect(later.retryAfter(now: now) == 30)
        #expect(HTTPReply(status: 503, headers: [("retry-after", "soon")], body: Data()).retryAfter(now: now) == nil)
    }
}
