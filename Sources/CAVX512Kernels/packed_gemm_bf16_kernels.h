// The four builds of the bf16 GEMM that cvrnet_bf16_packed_gemm (packed_gemm_bf16.c) chooses
// from: each kernel body (packed_gemm_bf16_avx512_body.h, packed_gemm_bf16_amx_body.h) built
// with the real instructions (packed_gemm_bf16.c) and with them emulated in C
// (packed_gemm_bf16_emulated.c). The including file defines BF16_KERNEL(unit) to name its build.
#ifndef CVRNET_PACKED_GEMM_BF16_KERNELS_H
#define CVRNET_PACKED_GEMM_BF16_KERNELS_H
#include <stddef.h>
#include <stdint.h>

#include "cvrnet_bf16.h"

// cvrnet_bf16_packed_gemm's arguments after `unit` and `emulated`.
#define BF16_KERNEL_ARGS                                                                           \
    ptrdiff_t row_begin, ptrdiff_t row_end, ptrdiff_t panel_begin, ptrdiff_t panel_end, ptrdiff_t n,  \
        ptrdiff_t k, const float *a, ptrdiff_t lda, const uint16_t *packed, float *c, ptrdiff_t ldc,  \
        const float *bias, int relu, int accumulate

void cvrnet_bf16_avx512_gemm_native(BF16_KERNEL_ARGS);
void cvrnet_bf16_avx512_gemm_emulated(BF16_KERNEL_ARGS);
void cvrnet_bf16_amx_gemm_native(BF16_KERNEL_ARGS);
void cvrnet_bf16_amx_gemm_emulated(BF16_KERNEL_ARGS);

// Lane mask of the first `count` (clamped to 0-16) of 16 float lanes.
static inline uint16_t bf16_lanes(ptrdiff_t count) {
    if (count <= 0) return 0;
    if (count >= 16) return 0xFFFF;
    return (uint16_t)((1u << count) - 1u);
}

#endif
