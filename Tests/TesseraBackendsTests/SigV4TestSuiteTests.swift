import Foundation
import Testing
import TesseraBackends

/// Vectors of the AWS Signature Version 4 test suite (the one formerly
/// published at https://docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html),
/// as kept by AWS in the public repository awslabs/aws-c-auth, folder
/// tests/aws-signing-test-suite/v4/<name>/ (files request.txt, context.json,
/// header-canonical-request.txt, header-string-to-sign.txt,
/// header-signature.txt), commit 495329c2433034bd8fd53fc6ba9e0202d3fac876.
/// Credentials AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY,
/// region us-east-1, service `service`, time 20150830T123600Z.
@Suite("SigV4 test suite")
struct SigV4TestSuiteTests {
    static let signer = SigV4Signer(
        credentials: AWSCredentials(
            accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        ),
        region: "us-east-1",
        service: "service"
    )
    /// 2015-08-30T12:36:00Z
    static let date = Date(timeIntervalSince1970: 1_440_938_160)

    /// A suite case signed without a body hash header (`sign_body: false`),
    /// which the S3 signer never produces: its canonical URI and query are
    /// checked against the published canonical request, and the string to
    /// sign and the signature are computed from that published request.
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let path: String  // as in request.txt's request line
        let query: String?
        let canonicalRequest: String
        let stringToSign: String
        let signature: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "get-vanilla", path: "/", query: nil,
            canonicalRequest: """
                GET
                /

                host:example.amazonaws.com
                x-amz-date:20150830T123600Z

                host;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            stringToSign: """
                AWS4-HMAC-SHA256
                20150830T123600Z
                20150830/us-east-1/service/aws4_request
                bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63
                """,
            signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        ),
        Case(
            name: "get-vanilla-query-order-key-case", path: "/", query: "Param2=value2&Param1=value1",
            canonicalRequest: """
                GET
                /
                Param1=value1&Param2=value2
                host:example.amazonaws.com
                x-amz-date:20150830T123600Z

                host;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            stringToSign: """
                AWS4-HMAC-SHA256
                20150830T123600Z
                20150830/us-east-1/service/aws4_request
                816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0
                """,
            signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        ),
        Case(
            name: "get-vanilla-query-unreserved", path: "/",
            query: "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                + "=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            canonicalRequest: """
                GET
                /
                -._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz
                host:example.amazonaws.com
                x-amz-date:20150830T123600Z

                host;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            stringToSign: """
                AWS4-HMAC-SHA256
                20150830T123600Z
                20150830/us-east-1/service/aws4_request
                c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177
                """,
            signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"
        ),
        Case(
            name: "get-utf8", path: "/\u{1234}", query: nil,
            canonicalRequest: """
                GET
                /%E1%88%B4

                host:example.amazonaws.com
                x-amz-date:20150830T123600Z

                host;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            stringToSign: """
                AWS4-HMAC-SHA256
                20150830T123600Z
                20150830/us-east-1/service/aws4_request
                2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102
                """,
            signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"
        ),
        Case(
            name: "get-space-normalized", path: "/example space/", query: nil,
            canonicalRequest: """
                GET
                /example%20space/

                host:example.amazonaws.com
                x-amz-date:20150830T123600Z

                host;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            stringToSign: """
                AWS4-HMAC-SHA256
                20150830T123600Z
                20150830/us-east-1/service/aws4_request
                63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86
                """,
            signature: "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"
        ),
        Case(
            name: "get-header-value-trim", path: "/", query: nil,
            canonicalRequest: """
                GET
                /

                host:example.amazonaws.com
                my-header1:value1
                my-header2:"a b c"
                x-amz-date:20150830T123600Z

                host;my-header1;my-header2;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """,
            stringToSign: """
                AWS4-HMAC-SHA256
                20150830T123600Z
                20150830/us-east-1/service/aws4_request
                a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7
                """,
            signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"
        ),
    ]

    @Test("Suite case: canonical URI and query, string to sign, signature", arguments: cases)
    func suiteCase(_ suiteCase: Case) {
        let lines = suiteCase.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(SigV4Encoding.canonicalURI(percentEncodedPath: suiteCase.path) == String(lines[1]))
        #expect(SigV4Encoding.canonicalQuery(percentEncodedQuery: suiteCase.query) == String(lines[2]))

        let toSign = Self.signer.stringToSign(canonicalRequest: suiteCase.canonicalRequest, date: Self.date)
        #expect(toSign == suiteCase.stringToSign)
        #expect(Self.signer.signature(stringToSign: toSign, date: Self.date) == suiteCase.signature)
    }

    @Test("get-header-value-trim: header values trimmed, inner runs of spaces collapsed")
    func headerValueTrim() {
        let canonical = SigV4Signer.canonicalHeaders([
            ("Host", "example.amazonaws.com"),
            ("My-Header1", " value1"),
            ("My-Header2", " \"a   b   c\""),
            ("X-Amz-Date", "20150830T123600Z"),
        ])
        #expect(canonical.block == """
            host:example.amazonaws.com
            my-header1:value1
            my-header2:"a b c"
            x-amz-date:20150830T123600Z

            """)
        #expect(canonical.signedHeaders == "host;my-header1;my-header2;x-amz-date")
    }

    /// post-x-www-form-urlencoded is signed with the body hash header
    /// (`sign_body: true`), like every S3 request: the whole pipeline.
    @Test("post-x-www-form-urlencoded: the whole pipeline")
    func postFormURLEncoded() throws {
        let body = Data("Param1=value1".utf8)
        let payloadHash = SigV4PayloadHash.sha256Hex(body)
        #expect(payloadHash == "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e")
        let headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", "13")]

        let canonical = Self.signer.canonicalRequest(
            method: "POST", host: "example.amazonaws.com", percentEncodedPath: "/", percentEncodedQuery: nil,
            headers: headers, payloadHash: payloadHash, date: Self.date
        )
        #expect(canonical.text == """
            POST
            /

            content-length:13
            content-type:application/x-www-form-urlencoded
            host:example.amazonaws.com
            x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e
            x-amz-date:20150830T123600Z

            content-length;content-type;host;x-amz-content-sha256;x-amz-date
            9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e
            """)
        let toSign = Self.signer.stringToSign(canonicalRequest: canonical.text, date: Self.date)
        #expect(toSign == """
            AWS4-HMAC-SHA256
            20150830T123600Z
            20150830/us-east-1/service/aws4_request
            b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb
            """)
        let signature = "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"
        #expect(Self.signer.signature(stringToSign: toSign, date: Self.date) == signature)

        let url = try #require(URL(string: "https://example.amazonaws.com/"))
        let added = Self.signer.sign(
            method: "POST", url: url, headers: headers, payloadHash: payloadHash, date: Self.date
        )
        #expect(added.first { $0.0 == "Authorization" }?.1
            == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,"
            + "SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date,"
            + "Signature=\(signature)")
    }
}
