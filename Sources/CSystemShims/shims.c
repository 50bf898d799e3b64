#include "CSystemShims.h"
#include <errno.h>
#include <malloc.h>
#include <sys/random.h>

/* <malloc.h> is not part of Swift's Glibc module, so mallopt is called from C. */
void tessera_tune_allocator(int arena_max, int mmap_threshold) {
    mallopt(M_ARENA_MAX, arena_max);
    mallopt(M_MMAP_THRESHOLD, mmap_threshold);
}

int tessera_random_bytes(void *buffer, unsigned long count) {
    unsigned char *out = buffer;
    while (count > 0) {
        ssize_t got = getrandom(out, count, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        out += got;
        count -= (unsigned long)got;
    }
    return 0;
}
