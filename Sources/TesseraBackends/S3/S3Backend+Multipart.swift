import Foundation
import TesseraCore

extension S3Backend {
    /// A multipart upload: start it, send the parts (several at once), then
    /// complete it. Any failure aborts the upload, so S3 keeps (and bills) no
    /// orphaned parts, and the error goes up; a transient one makes
    /// `RetryingBackend` start the whole upload again, which is safe since
    /// an object appears only when its upload completes.
    func saveInParts(_ handle: ObjectHandle, data: Data) async throws {
        let key = layout.key(handle)
        let started = try await send("POST", key: key, query: [("uploads", "")], operation: "start the upload of", object: handle.path)
        guard started.isSuccess else { throw failure.error(started, operation: "start the upload of", object: handle.path, handle: nil) }
        guard let uploadID = XMLFields(started.body).first("UploadId"), !uploadID.isEmpty else {
            throw BackendError.io(operation: "start the upload of", object: handle.path, reason: "the server's reply holds no UploadId")
        }
        do {
            let etags = try await uploadParts(of: data, key: key, uploadID: uploadID, handle: handle)
            var document = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            for (index, etag) in etags.enumerated() {
                document += "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(XMLFields.escape(etag))</ETag></Part>"
            }
            document += "</CompleteMultipartUpload>"
            let completed = try await send(
                "POST", key: key, query: [("uploadId", uploadID)], body: Data(document.utf8), operation: "complete the upload of", object: handle.path
            )
            // S3 may answer 200 and still report an error in the body.
            guard completed.isSuccess, XMLFields(completed.body).first("Code") == nil else {
                throw failure.error(completed.status == 200 ? HTTPReply(status: 500, headers: completed.headers, body: completed.body) : completed,
                                    operation: "complete the upload of", object: handle.path, handle: nil)
            }
        } catch {
            await abortUpload(key: key, uploadID: uploadID, handle: handle)
            throw error
        }
    }

    /// Sends every part, at most `partConcurrency` at once; returns their ETags in order.
    private func uploadParts(of data: Data, key: String, uploadID: String, handle: ObjectHandle) async throws -> [String] {
        let partSize = configuration.partSize
        let count = (data.count + partSize - 1) / partSize
        return try await withThrowingTaskGroup(of: (Int, String).self) { group in
            var etags = [String](repeating: "", count: count)
            var next = 0
            func addPart() {
                let index = next
                next += 1
                let start = data.startIndex + index * partSize
                let part = data.subdata(in: start..<min(start + partSize, data.endIndex))
                group.addTask {
                    let object = "\(handle.path) (part \(index + 1) of \(count))"
                    let reply = try await send(
                        "PUT", key: key, query: [("partNumber", String(index + 1)), ("uploadId", uploadID)], body: part,
                        operation: "save", object: object
                    )
                    guard reply.isSuccess else { throw failure.error(reply, operation: "save", object: object, handle: nil) }
                    guard let etag = reply.header("ETag") else {
                        throw BackendError.io(operation: "save", object: object, reason: "the server's reply holds no ETag")
                    }
                    return (index, etag)
                }
            }
            while next < min(count, configuration.partConcurrency) { addPart() }
            while let (index, etag) = try await group.next() {
                etags[index] = etag
                if next < count { addPart() }
            }
            return etags
        }
    }

    /// Best effort: a failed abort leaves parts that a bucket lifecycle rule
    /// ("abort incomplete multipart uploads") cleans up.
    private func abortUpload(key: String, uploadID: String, handle: ObjectHandle) async {
        // Runs even when the save was cancelled, so the parts do not linger.
        let task = Task.detached { [self] in
            _ = try? await send("DELETE", key: key, query: [("uploadId", uploadID)], operation: "abort the upload of", object: handle.path)
        }
        await task.value
    }
}

extension S3Backend {
    /// The keys of multipart uploads started and neither completed nor
    /// aborted in the bucket (ListMultipartUploads, first page): what a
    /// failed upload must not leave behind.
    public func listMultipartUploads() async throws -> [String] {
        let reply = try await send("GET", key: nil, query: [("uploads", "")], operation: "list uploads in", object: configuration.location.bucket)
        guard reply.isSuccess else { throw failure.error(reply, operation: "list uploads in", object: configuration.location.bucket, handle: nil) }
        return XMLFields(reply.body).blocks("Upload").compactMap { $0.first("Key") }
    }
}
