#ifndef TESSERA_CSYSTEMSHIMS_H
#define TESSERA_CSYSTEMSHIMS_H

/* Tunes glibc's allocator; see MemoryTuning in the CLI for why. */
void tessera_tune_allocator(int arena_max, int mmap_threshold);

#endif
