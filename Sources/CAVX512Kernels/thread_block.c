// The packed GEMMs (packed_gemm.c, packed_gemm_avx2.c) pack blocks of A rows into a buffer of
// their thread's: allocated on the thread's first use, freed when the thread exits (a pthread
// key destructor), so worker threads that come and go leak nothing, and a forward pass
// allocates nothing once its threads have run one.
#include <pthread.h>
#include <stdlib.h>

#include "thread_block.h"

// The block starts with one cache line holding its size in floats; the caller gets what follows.
#define HEADER 64

static pthread_key_t block_key;
static pthread_once_t block_once = PTHREAD_ONCE_INIT;

static void make_block_key(void) {
    if (pthread_key_create(&block_key, free) != 0) abort();
}

float *cvrnet_thread_block(size_t floats) {
    pthread_once(&block_once, make_block_key);
    size_t *block = pthread_getspecific(block_key);
    if (!block || block[0] < floats) {
        free(block);
        size_t bytes = (HEADER + floats * sizeof(float) + 63) / 64 * 64;  // aligned_alloc: a multiple of 64
        block = aligned_alloc(64, bytes);
        if (!block || pthread_setspecific(block_key, block) != 0) abort();
        block[0] = floats;
    }
    return (float *)((char *)block + HEADER);
}
