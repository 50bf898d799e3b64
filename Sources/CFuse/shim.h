#ifndef TESSERA_CFUSE_SHIM_H
#define TESSERA_CFUSE_SHIM_H

/* API 3.12: the loop is configured through fuse_loop_cfg_*, not the old
   public struct (do not mix the two). Must precede the include. */
#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <errno.h>
#include <string.h>

/* Function-like macros and variadic functions are not imported into Swift. */

static inline int tessera_fuse_session_loop_mt(struct fuse_session *se, unsigned int max_threads, unsigned int max_idle) {
    struct fuse_loop_config *config = fuse_loop_cfg_create();
    if (config == NULL) return -ENOMEM;
    fuse_loop_cfg_set_max_threads(config, max_threads);
    fuse_loop_cfg_set_idle_threads(config, max_idle);
    int result = fuse_session_loop_mt(se, config);
    fuse_loop_cfg_destroy(config);
    return result;
}

/* fuse_args from argv; the strings must outlive the session's creation. */
static inline struct fuse_args tessera_fuse_args(int argc, char **argv) {
    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    return args;
}

/* Stores `size` bytes at `offset` of inode `ino` in the kernel's page cache
   (fuse_lowlevel_notify_store with one memory buffer). 0 or -errno. */
static inline int tessera_fuse_notify_store(struct fuse_session *se, fuse_ino_t ino, off_t offset, const void *data, size_t size) {
    struct fuse_bufvec buffer = FUSE_BUFVEC_INIT(size);
    buffer.buf[0].mem = (void *)data;
    return fuse_lowlevel_notify_store(se, ino, offset, &buffer, (enum fuse_buf_copy_flags)0);
}

#endif
