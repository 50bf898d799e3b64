#ifndef TESSERA_CSYSTEMSHIMS_H
#define TESSERA_CSYSTEMSHIMS_H

/* glibc functions that Swift's Glibc module does not export. */

/* Tunes glibc's allocator; see MemoryTuning in the CLI for why. */
void tessera_tune_allocator(int arena_max, int mmap_threshold);

/* Fills `buffer` with `count` bytes from the kernel's CSPRNG (getrandom(2),
   one call for up to 256 bytes). Returns 0 on success, -1 on failure. */
int tessera_random_bytes(void *buffer, unsigned long count);

/* Catches SIGINT and SIGTERM with a handler that writes the signal number as
   one byte to `write_fd` (the self-pipe trick), whichever thread the kernel
   delivers it to. Returns 0, or -1 with errno set. */
int tessera_catch_interrupts(int write_fd);

#endif
