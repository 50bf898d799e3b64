import Foundation
import TesseraCore

/// Turns an S3 error reply into the `BackendError` the layers above act on:
/// a missing object is `notFound`; throttling and server errors are
/// `transient` (with the server's `Retry-After`); a refused signature or
/// key is a plain error that says what to check, never retried.
struct S3Failure {
    let configuration: S3Configuration
    let profile: String

    /// S3 error codes that mean "these credentials cannot do this here".
    static let authenticationCodes: Set<String> = [
        "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "RequestTimeTooSkewed",
        "ExpiredToken", "InvalidToken", "TokenRefreshRequired", "InvalidClientTokenId", "AccountProblem",
        "AllAccessDisabled", "InvalidSecurity",
    ]
    /// Codes that retrying may outlast, whatever the status says.
    static let transientCodes: Set<String> = ["SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "Throttling", "ThrottlingException"]

    func error(_ reply: HTTPReply, operation: String, object: String, handle: ObjectHandle?) -> BackendError {
        let fields = XMLFields(reply.body)
        let code = fields.first("Code") ?? ""
        let message = fields.first("Message") ?? ""
        let detail = [code, message].filter { !$0.isEmpty }.joined(separator: ": ")
        let said = detail.isEmpty ? "HTTP \(reply.status)" : "HTTP \(reply.status), \(detail)"
        let place = "\(object) in bucket \"\(configuration.location.bucket)\" at \(configuration.location.scheme)://\(configuration.location.authority)"

        if reply.status == 404, let handle, code != "NoSuchBucket" { return .notFound(handle) }
        if reply.status == 404, code == "NoSuchBucket" || handle == nil {
            return .io(operation: operation, object: place, reason: "the bucket does not exist (\(said)); check the bucket name, or run `tessera init` to create it")
        }
        if reply.isTransientStatus || Self.transientCodes.contains(code) {
            return .transient(operation: operation, object: place, reason: "the server is busy or failing (\(said))", retryAfter: reply.retryAfter())
        }
        if let bucketRegion = reply.header("x-amz-bucket-region"), bucketRegion != configuration.region,
           reply.status == 301 || reply.status == 307 || reply.status == 400 || reply.status == 403 {
            return .io(operation: operation, object: place, reason: "the bucket is in region \(bucketRegion), not \(configuration.region) (\(said)); set AWS_DEFAULT_REGION=\(bucketRegion)")
        }
        if reply.status == 401 || reply.status == 403 || Self.authenticationCodes.contains(code) || code == "AuthorizationHeaderMalformed" {
            return .io(operation: operation, object: place, reason: "access denied (\(said)). \(checklist)")
        }
        if reply.status == 416 || code == "InvalidRange" {
            return .io(operation: operation, object: place, reason: "the requested bytes lie outside the object (\(said))")
        }
        return .io(operation: operation, object: place, reason: said)
    }

    /// What to check when S3 refuses the credentials.
    var checklist: String {
        "Check the access key and its secret (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the [\(profile)] profile in ~/.aws/credentials), "
            + "that the key may use this bucket, the region (now \(configuration.region); set AWS_DEFAULT_REGION), "
            + "and that this computer's clock is right"
    }
}
