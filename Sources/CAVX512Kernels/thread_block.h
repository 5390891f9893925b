// Scratch memory of one thread, shared by the packed GEMMs of both instruction sets.
#ifndef CVRNET_THREAD_BLOCK_H
#define CVRNET_THREAD_BLOCK_H
#include <stddef.h>

// At least `floats` floats, 64-byte aligned, owned by the calling thread: allocated on its first
// use (and grown when a larger block is asked for), freed when the thread exits.
float *cvrnet_thread_block(size_t floats);

#endif
