import Foundation
import Testing
import TesseraBackends

@Suite("AWSCredentialsSource")
struct AWSCredentialsSourceTests {
    @Test("The environment comes first, with a session token")
    func environmentFirst() throws {
        let source = AWSCredentialsSource(environment: [
            "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token",
            "AWS_DEFAULT_REGION": "eu-west-1", "HOME": "/nonexistent",
        ])
        #expect(try source.credentials() == AWSCredentials(accessKeyID: "AKID", secretAccessKey: "secret", sessionToken: "token"))
        #expect(source.region == "eu-west-1")
        let both = AWSCredentialsSource(environment: ["AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "eu-west-1"])
        #expect(both.region == "us-west-2")
    }

    @Test("Profiles of ~/.aws/credentials and ~/.aws/config, chosen by AWS_PROFILE")
    func profiles() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let aws = folder.url.appendingPathComponent(".aws")
        try FileManager.default.createDirectory(at: aws, withIntermediateDirectories: true)
        try Data("""
            # comment
            [default]
            aws_access_key_id = DEFAULTKEY
            aws_secret_access_key = defaultsecret

            [work]
            aws_access_key_id=WORKKEY
            aws_secret_access_key=work/secret=
            aws_session_token = worktoken
            """.utf8).write(to: aws.appendingPathComponent("credentials"))
        try Data("[default]\nregion = eu-central-1\n[profile work]\nregion = ap-south-1\n".utf8).write(to: aws.appendingPathComponent("config"))

        let plain = AWSCredentialsSource(environment: ["HOME": folder.url.path])
        #expect(try plain.credentials() == AWSCredentials(accessKeyID: "DEFAULTKEY", secretAccessKey: "defaultsecret"))
        #expect(plain.region == "eu-central-1")
        let work = AWSCredentialsSource(environment: ["HOME": folder.url.path, "AWS_PROFILE": "work"])
        #expect(try work.credentials() == AWSCredentials(accessKeyID: "WORKKEY", secretAccessKey: "work/secret=", sessionToken: "worktoken"))
        #expect(work.region == "ap-south-1")
        let missing = AWSCredentialsSource(environment: ["HOME": folder.url.path, "AWS_PROFILE": "nope"])
        #expect(throws: AWSCredentialsSource.Failure.self) { try missing.credentials() }
        #expect(missing.region == nil)
    }
}
