// TEMPORARY scalar stand-in for the bf16 kernels (to be replaced by the AMX and AVX512_BF16
// kernels): the contract of cvrnet_bf16_packed_gemm in plain C.
#include <stdlib.h>
#include <string.h>

#include "cvrnet_bf16.h"

static inline float widen(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

int cvrnet_bf16_unit_available(int unit) {
    (void)unit;
    return 0;
}

void cvrnet_bf16_packed_gemm(int unit, int emulated, ptrdiff_t row_begin, ptrdiff_t row_end,
                             ptrdiff_t panel_begin, ptrdiff_t panel_end, ptrdiff_t n, ptrdiff_t k,
                             const float *a, ptrdiff_t lda, const uint16_t *packed, float *c, ptrdiff_t ldc,
                             const float *bias, int relu, int accumulate) {
    (void)unit;
    (void)emulated;
    const ptrdiff_t w = CVRNET_BF16_PANEL_WIDTH, kp = cvrnet_bf16_padded_k(k);
    for (ptrdiff_t p = panel_begin; p < panel_end; p++) {
        const uint16_t *panel = packed + p * kp * w;
        for (ptrdiff_t col = p * w; col < (p + 1) * w && col < n; col++) {
            ptrdiff_t j = col - p * w;
            for (ptrdiff_t r = row_begin; r < row_end; r++) {
                float acc = accumulate ? c[r * ldc + col] : 0.0f;
                for (ptrdiff_t q = 0; q < k; q++) {
                    float x = widen(cvrnet_bf16_round(a[r * lda + q]));
                    acc = __builtin_fmaf(x, widen(panel[((q / 2) * w + j) * 2 + (q & 1)]), acc);
                }
                acc += bias[col];
                c[r * ldc + col] = relu && acc < 0 ? 0.0f : acc;
            }
        }
    }
}
