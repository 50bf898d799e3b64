#include "CSystemShims.h"
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
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

static volatile sig_atomic_t interrupt_fd = -1;

/* Only async-signal-safe calls here: write(2), and errno restored. */
static void interrupt_received(int signal_number) {
    int saved = errno;
    unsigned char byte = (unsigned char)signal_number;
    if (interrupt_fd >= 0) (void)!write(interrupt_fd, &byte, 1);
    errno = saved;
}

int tessera_catch_interrupts(int write_fd) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = interrupt_received;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    interrupt_fd = write_fd;
    if (sigaction(SIGINT, &action, NULL) != 0) return -1;
    if (sigaction(SIGTERM, &action, NULL) != 0) return -1;
    return 0;
}
