import TesseraBackends

/// The requests a command sent to the repository, for `--json` summaries:
/// backend operations (each retried attempt counted) and, for remote
/// repositories, the HTTP requests by method (list pages, multipart parts).
enum BackendRequestSummary {
    static func json(_ stack: BackendStack) -> JSONValue {
        let counts = stack.operations.counts
        var fields: [String: JSONValue] = [
            "save": .int(counts.save), "load": .int(counts.load), "load_range": .int(counts.loadRange),
            "stat": .int(counts.stat), "list": .int(counts.list), "delete": .int(counts.delete),
            "total": .int(counts.requests),
            "bytes_uploaded": .int(counts.bytesUploaded), "bytes_downloaded": .int(counts.bytesDownloaded),
        ]
        if let http = stack.httpRequests {
            fields["http"] = .object(http.byMethod.mapValues { .int($0) })
            fields["http_total"] = .int(http.total)
        }
        return .object(fields)
    }
}
