#include "CSystemShims.h"
#include <malloc.h>

/* <malloc.h> is not part of Swift's Glibc module, so mallopt is called from C. */
void tessera_tune_allocator(int arena_max, int mmap_threshold) {
    mallopt(M_ARENA_MAX, arena_max);
    mallopt(M_MMAP_THRESHOLD, mmap_threshold);
}
