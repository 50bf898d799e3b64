/// How a request names the bucket.
public enum S3Addressing: String, Sendable, CaseIterable {
    /// `https://host/bucket/key`: what S3-compatible servers (MinIO, Ceph,
    /// moto, …) and IP addresses need.
    case path
    /// `https://bucket.host/key`: what AWS prefers (and requires for new
    /// features and some regions).
    case virtualHosted = "virtual-hosted"

    /// Virtual-hosted for AWS's own endpoints when the bucket name fits in a
    /// host name under TLS (no dots), path style for everything else, as the
    /// AWS SDKs and restic (minio-go) choose.
    public static func automatic(for location: S3Location) -> S3Addressing {
        let isAWS = location.host == "amazonaws.com" || location.host.hasSuffix(".amazonaws.com")
        let fitsHostName = !(location.scheme == "https" && location.bucket.contains("."))
        return isAWS && fitsHostName ? .virtualHosted : .path
    }
}
