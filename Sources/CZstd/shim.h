#ifndef TESSERA_CZSTD_SHIM_H
#define TESSERA_CZSTD_SHIM_H
#include <zstd.h>

/* ZSTD_COMPRESSBOUND is a macro; Swift cannot import function-like macros. */
static inline size_t tessera_zstd_compress_bound(size_t size) { return ZSTD_compressBound(size); }
static inline int tessera_zstd_is_error(size_t code) { return (int)ZSTD_isError(code); }
#endif
