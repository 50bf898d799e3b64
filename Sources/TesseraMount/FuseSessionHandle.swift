/// A libfuse session pointer that may cross threads.
///
/// `@unchecked Sendable`: libfuse lets any thread call `fuse_session_exit`
/// and the notification functions (`fuse_lowlevel_notify_store`) on a live
/// session, which is all the holders of this handle do with it.
struct FuseSessionHandle: @unchecked Sendable {
    let raw: OpaquePointer
}
