import Testing
import TesseraBackends

@Suite("S3Location and addressing")
struct S3LocationTests {
    @Test("URLs with scheme, port, bucket and prefix parse")
    func parsesTheForms() throws {
        #expect(try S3Location.parse("https://s3.eu-west-1.amazonaws.com/my-bucket/laptop/home")
            == S3Location(scheme: "https", host: "s3.eu-west-1.amazonaws.com", bucket: "my-bucket", prefix: "laptop/home"))
        #expect(try S3Location.parse("http://127.0.0.1:9000/bucket")
            == S3Location(scheme: "http", host: "127.0.0.1", port: 9000, bucket: "bucket"))
        #expect(try S3Location.parse("minio.local:9000/b-1/x/")
            == S3Location(scheme: "https", host: "minio.local", port: 9000, bucket: "b-1", prefix: "x"))
        #expect(try S3Location.parse("http://127.0.0.1:9000/bucket").description == "s3:http://127.0.0.1:9000/bucket")
    }

    @Test("Malformed URLs are refused with a message", arguments: [
        "https://host", "https://host/", "ftp://host/bucket", "https://host:99999/bucket", "https://host:x/bucket",
        "https://host/Upper_Case", "https://host/ab", "https://:80/bucket", "", "https://user@host/bucket",
    ])
    func refusesMalformed(_ text: String) {
        #expect(throws: S3Location.Invalid.self) { try S3Location.parse(text) }
    }

    @Test("AWS endpoints use virtual-hosted requests, other servers path style")
    func addressingDefaults() throws {
        #expect(S3Addressing.automatic(for: try S3Location.parse("https://s3.amazonaws.com/bucket")) == .virtualHosted)
        #expect(S3Addressing.automatic(for: try S3Location.parse("https://s3.amazonaws.com/dotted.bucket")) == .path)
        #expect(S3Addressing.automatic(for: try S3Location.parse("http://127.0.0.1:9000/bucket")) == .path)
    }

    @Test("Path-style and virtual-hosted requests put the bucket in the path or the host")
    func requestTargets() throws {
        let location = try S3Location.parse("http://127.0.0.1:9000/bucket/pre fix")
        let path = S3RequestTarget(location: location, addressing: .path, key: "pre fix/data/ab/ab12", query: [])
        #expect(path.url == "http://127.0.0.1:9000/bucket/pre%20fix/data/ab/ab12")
        #expect(path.host == "127.0.0.1")
        #expect(path.hostHeader == "127.0.0.1:9000")
        let defaultPort = S3RequestTarget(location: try S3Location.parse("https://s3.amazonaws.com:443/b-1"), addressing: .virtualHosted, key: "k")
        #expect(defaultPort.hostHeader == "b-1.s3.amazonaws.com")
        let virtual = S3RequestTarget(location: location, addressing: .virtualHosted, key: "k/é", query: [("partNumber", "1"), ("uploadId", "a/b+c")])
        #expect(virtual.url == "http://bucket.127.0.0.1:9000/k/%C3%A9?partNumber=1&uploadId=a%2Fb%2Bc")
        #expect(virtual.host == "bucket.127.0.0.1")
        let bucket = S3RequestTarget(location: location, addressing: .path, key: nil, query: [("list-type", "2"), ("prefix", "data")])
        #expect(bucket.percentEncodedPath == "/bucket")
        #expect(bucket.percentEncodedQuery == "list-type=2&prefix=data")
    }
}
