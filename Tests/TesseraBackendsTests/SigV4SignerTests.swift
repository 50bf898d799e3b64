import Foundation
import Testing
import TesseraBackends

/// The four examples of Amazon's S3 API reference page "Signature
/// Calculations for the Authorization Header: Transferring Payload in a
/// Single Chunk (AWS Signature Version 4)",
/// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
/// (section "Examples: Signature Calculations"). The values were taken from
/// a verbatim copy of that page's examples in the public repository
/// ForeverPyrite/r2client, file aws_sigv4/examples.md. Each example gives the
/// canonical request, the string to sign and the signature; they are
/// asserted exactly as published.
@Suite("SigV4Signer")
struct SigV4SignerTests {
    /// Credentials, region and time shared by all four S3 examples.
    static let s3Example = SigV4Signer(
        credentials: AWSCredentials(
            accessKeyID: "AKIAIOSFODNN7EXAMPLE",
            secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        ),
        region: "us-east-1",
        service: "s3"
    )
    /// 20130524T000000Z
    static let exampleDate = Date(timeIntervalSince1970: 1_369_353_600)

    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let method: String
        let url: String
        let headers: [(String, String)]
        let payloadHash: String
        let canonicalRequest: String
        let stringToSign: String
        let signature: String
        let signedHeaders: String
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        // "Example: GET Object" — first 10 bytes of test.txt.
        Vector(
            name: "GET Object with Range",
            method: "GET",
            url: "https://examplebucket.s3.amazonaws.com/test.txt",
            headers: [("Range", "bytes=0-9 ")],
            payloadHash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            canonicalRequest: """
                GET
                /test.txt

                host:examplebucket.s3.amazonaws.com
                range:bytes=0-9
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;range;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            stringToSign: """
                AWS4-HMAC-SHA256
                20130524T000000Z
                20130524/us-east-1/s3/aws4_request
                7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
                """,
            signature: "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            signedHeaders: "host;range;x-amz-content-sha256;x-amz-date"
        ),
        // "Example: PUT Object" — test$file.text, body "Welcome to Amazon S3.".
        Vector(
            name: "PUT Object",
            method: "PUT",
            url: "https://examplebucket.s3.amazonaws.com/test$file.text",
            headers: [
                ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ],
            payloadHash: "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
            canonicalRequest: """
                PUT
                /test%24file.text

                date:Fri, 24 May 2013 00:00:00 GMT
                host:examplebucket.s3.amazonaws.com
                x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
                x-amz-date:20130524T000000Z
                x-amz-storage-class:REDUCED_REDUNDANCY

                date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class
                44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072
                """,
            stringToSign: """
                AWS4-HMAC-SHA256
                20130524T000000Z
                20130524/us-east-1/s3/aws4_request
                9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d
                """,
            signature: "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
            signedHeaders: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class"
        ),
        // "Example: GET Bucket Lifecycle" — GET ?lifecycle.
        Vector(
            name: "GET Bucket Lifecycle",
            method: "GET",
            url: "https://examplebucket.s3.amazonaws.com/?lifecycle",
            headers: [],
            payloadHash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            canonicalRequest: """
                GET
                /
                lifecycle=
                host:examplebucket.s3.amazonaws.com
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            stringToSign: """
                AWS4-HMAC-SHA256
                20130524T000000Z
                20130524/us-east-1/s3/aws4_request
                9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca
                """,
            signature: "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
            signedHeaders: "host;x-amz-content-sha256;x-amz-date"
        ),
        // "Example: Get Bucket (List Objects)" — GET ?max-keys=2&prefix=J.
        // The URL has the parameters in the other order to exercise sorting.
        Vector(
            name: "Get Bucket (List Objects)",
            method: "GET",
            url: "https://examplebucket.s3.amazonaws.com?prefix=J&max-keys=2",
            headers: [],
            payloadHash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            canonicalRequest: """
                GET
                /
                max-keys=2&prefix=J
                host:examplebucket.s3.amazonaws.com
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            stringToSign: """
                AWS4-HMAC-SHA256
                20130524T000000Z
                20130524/us-east-1/s3/aws4_request
                df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7
                """,
            signature: "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
            signedHeaders: "host;x-amz-content-sha256;x-amz-date"
        ),
    ]

    @Test("The example time renders as AWS writes it")
    func timestamp() {
        let timestamp = SigV4Timestamp(Self.exampleDate)
        #expect(timestamp.amzDate == "20130524T000000Z")
        #expect(timestamp.dateStamp == "20130524")
    }

    @Test("The PUT example's payload hash is the SHA-256 of its body")
    func payloadHash() {
        #expect(SigV4PayloadHash.sha256Hex(Data("Welcome to Amazon S3.".utf8))
            == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        #expect(SigV4PayloadHash.sha256Hex(Data()) == SigV4PayloadHash.empty)
    }

    @Test("Published S3 example: canonical request, string to sign, signature, Authorization", arguments: vectors)
    func publishedS3Example(_ vector: Vector) throws {
        let signer = Self.s3Example
        let url = try #require(URL(string: vector.url))
        let parts = try #require(URLComponents(url: url, resolvingAgainstBaseURL: false))

        let canonical = signer.canonicalRequest(
            method: vector.method, host: try #require(parts.host),
            percentEncodedPath: parts.percentEncodedPath, percentEncodedQuery: parts.percentEncodedQuery,
            headers: vector.headers, payloadHash: vector.payloadHash, date: Self.exampleDate
        )
        #expect(canonical.text == vector.canonicalRequest)
        #expect(canonical.signedHeaders == vector.signedHeaders)

        let toSign = signer.stringToSign(canonicalRequest: canonical.text, date: Self.exampleDate)
        #expect(toSign == vector.stringToSign)
        #expect(signer.signature(stringToSign: toSign, date: Self.exampleDate) == vector.signature)

        // The whole pipeline from a URL gives the published Authorization header.
        let added = signer.sign(
            method: vector.method, url: url, headers: vector.headers,
            payloadHash: vector.payloadHash, date: Self.exampleDate
        )
        let expectedAuthorization = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            + "SignedHeaders=\(vector.signedHeaders),Signature=\(vector.signature)"
        #expect(added.map(\.0) == ["Authorization", "x-amz-date", "x-amz-content-sha256"])
        #expect(added.first { $0.0 == "Authorization" }?.1 == expectedAuthorization)
        #expect(added.first { $0.0 == "x-amz-date" }?.1 == "20130524T000000Z")
        #expect(added.first { $0.0 == "x-amz-content-sha256" }?.1 == vector.payloadHash)
    }

    // MARK: - Behaviour without a published vector

    @Test("A session token is sent and signed; a non-default port stays in host")
    func sessionTokenAndPort() throws {
        let signer = SigV4Signer(
            credentials: AWSCredentials(
                accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                sessionToken: "FQoGZXIvYXdzE-token"
            ),
            region: "us-east-1"
        )
        let url = try #require(URL(string: "http://127.0.0.1:9000/bucket/data/ab/abcdef"))
        let added = signer.sign(
            method: "GET", url: url, headers: [], payloadHash: SigV4PayloadHash.unsigned, date: Self.exampleDate
        )
        #expect(added.first { $0.0 == "x-amz-security-token" }?.1 == "FQoGZXIvYXdzE-token")
        #expect(added.first { $0.0 == "x-amz-content-sha256" }?.1 == "UNSIGNED-PAYLOAD")

        let canonical = signer.canonicalRequest(
            method: "GET", host: "127.0.0.1:9000", percentEncodedPath: "/bucket/data/ab/abcdef",
            percentEncodedQuery: nil, headers: [], payloadHash: SigV4PayloadHash.unsigned, date: Self.exampleDate
        )
        #expect(canonical.text == """
            GET
            /bucket/data/ab/abcdef

            host:127.0.0.1:9000
            x-amz-content-sha256:UNSIGNED-PAYLOAD
            x-amz-date:20130524T000000Z
            x-amz-security-token:FQoGZXIvYXdzE-token

            host;x-amz-content-sha256;x-amz-date;x-amz-security-token
            UNSIGNED-PAYLOAD
            """)
        let signature = signer.signature(
            stringToSign: signer.stringToSign(canonicalRequest: canonical.text, date: Self.exampleDate),
            date: Self.exampleDate
        )
        let authorization = try #require(added.first { $0.0 == "Authorization" }?.1)
        #expect(authorization.hasSuffix(
            ",SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,Signature=\(signature)"))
    }

    @Test("Default ports are left out of host, as HTTP clients send it")
    func defaultPortOmitted() throws {
        let signer = Self.s3Example
        let explicit = try #require(URL(string: "https://examplebucket.s3.amazonaws.com:443/test.txt"))
        let plain = try #require(URL(string: "https://examplebucket.s3.amazonaws.com/test.txt"))
        let headers = [("Range", "bytes=0-9")]
        let hash = SigV4PayloadHash.empty
        #expect(
            signer.sign(method: "GET", url: explicit, headers: headers, payloadHash: hash, date: Self.exampleDate)
                .first?.1
            == signer.sign(method: "GET", url: plain, headers: headers, payloadHash: hash, date: Self.exampleDate)
                .first?.1)
    }

    @Test("Path: encoded once, unreserved and / kept, empty is /")
    func canonicalURI() {
        #expect(SigV4Encoding.canonicalURI(percentEncodedPath: "") == "/")
        #expect(SigV4Encoding.canonicalURI(percentEncodedPath: "/") == "/")
        #expect(SigV4Encoding.canonicalURI(percentEncodedPath: "/a b/c~d_e-f.g") == "/a%20b/c~d_e-f.g")
        // Already-encoded input is not double-encoded.
        #expect(SigV4Encoding.canonicalURI(percentEncodedPath: "/a%20b/x%2By") == "/a%20b/x%2By")
        #expect(SigV4Encoding.canonicalURI(percentEncodedPath: "/k+=$é") == "/k%2B%3D%24%C3%A9")
    }

    @Test("Query: key and value encoded separately (/ too), sorted by key then value")
    func canonicalQuery() {
        #expect(SigV4Encoding.canonicalQuery(percentEncodedQuery: nil) == "")
        #expect(SigV4Encoding.canonicalQuery(percentEncodedQuery: "") == "")
        #expect(SigV4Encoding.canonicalQuery(percentEncodedQuery: "uploads") == "uploads=")
        #expect(SigV4Encoding.canonicalQuery(percentEncodedQuery: "prefix=dir/&list-type=2&delimiter=%2F")
            == "delimiter=%2F&list-type=2&prefix=dir%2F")
        #expect(SigV4Encoding.canonicalQuery(percentEncodedQuery: "b=2&a=z&a=y&A=x")
            == "A=x&a=y&a=z&b=2")
        #expect(SigV4Encoding.canonicalQuery(percentEncodedQuery: "continuation-token=a%2Bb%3D%3D&x=%20")
            == "continuation-token=a%2Bb%3D%3D&x=%20")
    }

    @Test("Headers: names lower-cased, values trimmed, runs of spaces collapsed, repeats joined")
    func canonicalHeaders() {
        let canonical = Self.s3Example.canonicalRequest(
            method: "GET", host: "h", percentEncodedPath: "/", percentEncodedQuery: nil,
            headers: [("X-Amz-Meta-A", "  one   two  "), ("x-amz-meta-a", "three"), ("X-Amz-Date", "ignored")],
            payloadHash: SigV4PayloadHash.empty, date: Self.exampleDate
        )
        #expect(canonical.text.contains("\nhost:h\nx-amz-content-sha256:\(SigV4PayloadHash.empty)\n"
            + "x-amz-date:20130524T000000Z\nx-amz-meta-a:one two,three\n\n"))
        #expect(canonical.signedHeaders == "host;x-amz-content-sha256;x-amz-date;x-amz-meta-a")
    }
}
