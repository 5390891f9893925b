// float32 -> bfloat16 rounding and the packed bf16 weight layout shared by the AMX and the
// AVX512_BF16 GEMMs (cvrnet_bf16.h). Portable C: it runs once per weight at load, and once per
// element of A per product (a pass the compiler vectorises).
#include <string.h>

#include "cvrnet_bf16.h"

// Round to nearest, ties to even, on the bit pattern: add 0x7FFF plus the lowest kept bit and
// truncate (the bf16 of a float is its upper 16 bits). NaNs are kept NaN by setting the quiet bit
// (the addition could otherwise carry a NaN payload into an infinity).
static inline uint16_t round_bits(uint32_t u) {
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 0x0040u);
    return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

uint16_t cvrnet_bf16_round(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return round_bits(u);
}

ptrdiff_t cvrnet_bf16_padded_k(ptrdiff_t k) {
    return (k + CVRNET_BF16_K_STEP - 1) / CVRNET_BF16_K_STEP * CVRNET_BF16_K_STEP;
}

size_t cvrnet_bf16_packed_count(ptrdiff_t k, ptrdiff_t n) {
    ptrdiff_t panels = (n + CVRNET_BF16_PANEL_WIDTH - 1) / CVRNET_BF16_PANEL_WIDTH;
    return (size_t)cvrnet_bf16_padded_k(k) * (size_t)(panels * CVRNET_BF16_PANEL_WIDTH);
}

void cvrnet_bf16_pack_weights(const float *b, ptrdiff_t k, ptrdiff_t n, uint16_t *packed) {
    const ptrdiff_t w = CVRNET_BF16_PANEL_WIDTH, kp = cvrnet_bf16_padded_k(k);
    memset(packed, 0, cvrnet_bf16_packed_count(k, n) * sizeof(uint16_t));
    for (ptrdiff_t p0 = 0; p0 < n; p0 += w) {
        uint16_t *panel = packed + p0 * kp;  // panel p0 / w starts at (p0 / w) * kp * w
        ptrdiff_t width = n - p0 < w ? n - p0 : w;
        for (ptrdiff_t r = 0; r < k; r++) {
            uint16_t *row = panel + (r / 2) * w * 2 + (r & 1);
            for (ptrdiff_t col = 0; col < width; col++) row[col * 2] = cvrnet_bf16_round(b[r * n + p0 + col]);
        }
    }
}

void cvrnet_bf16_round_rows(const float *a, ptrdiff_t lda, ptrdiff_t rows, ptrdiff_t k, uint16_t *out, ptrdiff_t ldo) {
    for (ptrdiff_t r = 0; r < rows; r++) {
        const uint32_t *src = (const uint32_t *)(const void *)(a + r * lda);
        uint16_t *dst = out + r * ldo;
        for (ptrdiff_t j = 0; j < k; j++) dst[j] = round_bits(src[j]);
        for (ptrdiff_t j = k; j < ldo; j++) dst[j] = 0;
    }
}
