// The packed-weight GEMM of packed_gemm.c for CPUs with AVX2 and FMA but no AVX-512 (AMD Zen,
// Intel before Skylake-SP and its client cores): 8-wide ymm vectors, 16 registers.
//
// Same contract and blocking as the AVX-512 kernel: B packed once at load (panels of
// CVRNET_GEMM_AVX2_PANEL_WIDTH = 16 columns), A read in place or packed per block, bias,
// residual and ReLU applied while the tile is in registers. The micro-kernel computes a
// ROWS x 16 tile: 12 accumulators, two B vectors and one broadcast of A (15 of 16 registers).
//
// Each output element is one chain c = fma(a[k], b[k], c) over k in order, starting from zero
// or the residual, then + bias, then ReLU: the chain never depends on the row, panel or k-block
// position, so any split between threads or bands gives the same bits (and the same bits as
// the AVX-512 kernel, which runs the same chain).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "CAVX512Kernels.h"
#include "thread_block.h"

#define PANEL CVRNET_GEMM_AVX2_PANEL_WIDTH

void cvrnet_avx2_pack_gemm_weights(const float *b, ptrdiff_t k, ptrdiff_t n, float *packed) {
    for (ptrdiff_t p0 = 0; p0 < n; p0 += PANEL) {
        ptrdiff_t w = n - p0 < PANEL ? n - p0 : PANEL;
        float *dst = packed + k * p0;
        for (ptrdiff_t r = 0; r < k; r++) memcpy(dst + r * w, b + r * n + p0, (size_t)w * sizeof(float));
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

// tune=haswell: without a tuning, clang tunes for generic x86-64, which splits every unaligned
// 256-bit load into two 128-bit loads and a vinsertf128 (for Sandy Bridge): in the micro-kernel's
// inner loop that turned the two B loads into six instructions. Every CPU with AVX2 + FMA loads
// unaligned 256 bits in one go. Measured on AMD EPYC (one core, CVR-Net's GEMM shapes): 10-30%
// faster. (The AVX-512 kernels and the other AVX2 kernels compile without such splits.)
#define AVX2 __attribute__((target("avx2,fma,tune=haswell")))
#define ROWS CVRNET_GEMM_AVX2_TILE_ROWS
#define K_BLOCK 256
#define ROW_BLOCK (ROWS * 24)

// As packed_gemm.c's pack_rows, for ROWS-row groups.
static void pack_rows(const float *a, ptrdiff_t lda, ptrdiff_t rows, ptrdiff_t kc, float *out) {
    for (ptrdiff_t g = 0; g < rows; g += ROWS) {
        ptrdiff_t mr = rows - g < ROWS ? rows - g : ROWS;
        float *dst = out + g * kc;
        const float *src = a + g * lda;
        for (ptrdiff_t k = 0; k < kc; k++) {
            float *d = dst + k * ROWS;
            for (int i = 0; i < ROWS; i++) d[i] = i < mr ? src[i * lda + k] : 0.0f;
        }
    }
}

#define UNROLLED _Pragma("clang loop unroll(full)")
// The k loop by 4 (measured on AMD EPYC, one core: 0-15% faster than not unrolled, for every
// CVR-Net shape tried; by 8 is half as fast). Unrolling does not change any element's chain.
#define K_UNROLLED _Pragma("clang loop unroll_count(4)")

// A tile of MR rows and one (TWO == 0) or two (TWO == 1) vectors of columns; FULL: every lane
// of those vectors is a column of the panel (no masked loads and stores). first / last /
// accumulate as in packed_gemm.c.
#define TILE_BODY(MR, TWO, FULL, A_STRIDE, A_STEP)                                                 \
    __m256 c0[MR], c1[MR];                                                                         \
    if (first && !accumulate) {                                                                    \
        UNROLLED for (int i = 0; i < MR; i++) { c0[i] = _mm256_setzero_ps(); c1[i] = _mm256_setzero_ps(); } \
    } else {                                                                                       \
        UNROLLED for (int i = 0; i < MR; i++) {                                                    \
            c0[i] = FULL ? _mm256_loadu_ps(c + i * ldc) : _mm256_maskload_ps(c + i * ldc, m0);     \
            c1[i] = !TWO ? _mm256_setzero_ps()                                                     \
                  : FULL ? _mm256_loadu_ps(c + i * ldc + 8) : _mm256_maskload_ps(c + i * ldc + 8, m1); \
        }                                                                                          \
    }                                                                                              \
    K_UNROLLED for (ptrdiff_t k = 0; k < kc; k++) {                                                \
        const float *bk = b + k * w;                                                               \
        __m256 b0 = FULL || TWO ? _mm256_loadu_ps(bk) : _mm256_maskload_ps(bk, m0);                \
        __m256 b1 = !TWO ? _mm256_setzero_ps() : FULL ? _mm256_loadu_ps(bk + 8) : _mm256_maskload_ps(bk + 8, m1); \
        const float *ak = a + k * (A_STEP);                                                        \
        UNROLLED for (int i = 0; i < MR; i++) {                                                    \
            __m256 ai = _mm256_broadcast_ss(ak + i * (A_STRIDE));                                  \
            c0[i] = _mm256_fmadd_ps(ai, b0, c0[i]);                                                \
            if (TWO) c1[i] = _mm256_fmadd_ps(ai, b1, c1[i]);                                       \
        }                                                                                          \
    }                                                                                              \
    if (last) {                                                                                    \
        __m256 bias0 = FULL || TWO ? _mm256_loadu_ps(bias) : _mm256_maskload_ps(bias, m0);         \
        __m256 bias1 = !TWO ? _mm256_setzero_ps() : FULL ? _mm256_loadu_ps(bias + 8) : _mm256_maskload_ps(bias + 8, m1); \
        __m256 zero = _mm256_setzero_ps();                                                         \
        UNROLLED for (int i = 0; i < MR; i++) {                                                    \
            c0[i] = _mm256_add_ps(c0[i], bias0);                                                   \
            if (TWO) c1[i] = _mm256_add_ps(c1[i], bias1);                                          \
            if (relu) {                                                                            \
                c0[i] = _mm256_max_ps(c0[i], zero);                                                \
                if (TWO) c1[i] = _mm256_max_ps(c1[i], zero);                                       \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    UNROLLED for (int i = 0; i < MR; i++) {                                                        \
        if (FULL || TWO) _mm256_storeu_ps(c + i * ldc, c0[i]);                                     \
        else _mm256_maskstore_ps(c + i * ldc, m0, c0[i]);                                          \
        if (TWO) {                                                                                 \
            if (FULL) _mm256_storeu_ps(c + i * ldc + 8, c1[i]);                                    \
            else _mm256_maskstore_ps(c + i * ldc + 8, m1, c1[i]);                                  \
        }                                                                                          \
    }

#define TILE_ARGS                                                                                  \
    const float *a, ptrdiff_t lda, const float *b, ptrdiff_t w, ptrdiff_t kc, float *c, ptrdiff_t ldc, \
        __m256i m0, __m256i m1, int first, int last, int accumulate, const float *bias, int relu

typedef void (*tile_fn)(TILE_ARGS);

// Variants by panel width w: 1-7 (one vector, masked), 8 (one vector), 9-15 (two vectors, the
// second masked), 16 (two vectors). Packed A: row i at k is a[k * ROWS + i]; direct A: a[i * lda + k].
#define DEFINE_VARIANT(MR, V, TWO, FULL)                                                           \
    AVX2 static void tile_##MR##_##V(TILE_ARGS) { (void)lda; (void)m0; (void)m1; TILE_BODY(MR, TWO, FULL, 1, ROWS) } \
    AVX2 static void direct_tile_##MR##_##V(TILE_ARGS) { (void)m0; (void)m1; TILE_BODY(MR, TWO, FULL, lda, 1) }
#define DEFINE_TILE(MR)                                                                            \
    DEFINE_VARIANT(MR, 0, 0, 0)                                                                    \
    DEFINE_VARIANT(MR, 1, 0, 1)                                                                    \
    DEFINE_VARIANT(MR, 2, 1, 0)                                                                    \
    DEFINE_VARIANT(MR, 3, 1, 1)

DEFINE_TILE(1)
DEFINE_TILE(2)
DEFINE_TILE(3)
DEFINE_TILE(4)
DEFINE_TILE(5)
DEFINE_TILE(6)

#define TILE_ROW(P, MR) {P##MR##_0, P##MR##_1, P##MR##_2, P##MR##_3}
#define TILES(P)                                                                                   \
    {                                                                                              \
        {0, 0, 0, 0}, TILE_ROW(P, 1), TILE_ROW(P, 2), TILE_ROW(P, 3), TILE_ROW(P, 4), TILE_ROW(P, 5), \
            TILE_ROW(P, 6),                                                                        \
    }
static const tile_fn tiles[ROWS + 1][4] = TILES(tile_);
static const tile_fn direct_tiles[ROWS + 1][4] = TILES(direct_tile_);

// This thread's block for packed A rows (`thread_block.c`).
static float *packed_rows(void) { return cvrnet_thread_block((size_t)ROW_BLOCK * K_BLOCK); }

// Lane masks for vmaskmov: lane i is on (sign bit set) when i < count.
AVX2 static __m256i lanes(ptrdiff_t count) {
    __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    int n = count <= 0 ? 0 : count >= 8 ? 8 : (int)count;
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), index);
}

AVX2 void cvrnet_avx2_packed_gemm(ptrdiff_t row_begin, ptrdiff_t row_end, ptrdiff_t panel_begin, ptrdiff_t panel_end,
                                  ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *packed,
                                  float *c, ptrdiff_t ldc, const float *bias, int relu, int accumulate) {
    // A is read in place unless its rows are 4 KB apart (or a multiple), as in packed_gemm.c.
    int direct = lda % 1024 != 0;
    float *ap = direct ? NULL : packed_rows();
    for (ptrdiff_t r0 = row_begin; r0 < row_end; r0 += ROW_BLOCK) {
        ptrdiff_t rows = row_end - r0 < ROW_BLOCK ? row_end - r0 : ROW_BLOCK;
        for (ptrdiff_t k0 = 0; k0 < k; k0 += K_BLOCK) {
            ptrdiff_t kc = k - k0 < K_BLOCK ? k - k0 : K_BLOCK;
            int first = k0 == 0, last = k0 + kc == k;
            const float *ablock = a + r0 * lda + k0;
            if (!direct) pack_rows(ablock, lda, rows, kc, ap);
            for (ptrdiff_t p = panel_begin; p < panel_end; p++) {
                ptrdiff_t col = p * PANEL;
                ptrdiff_t w = n - col < PANEL ? n - col : PANEL;
                const float *b = packed + k * col + k0 * w;
                __m256i m0 = lanes(w), m1 = lanes(w - 8);
                int variant = w == PANEL ? 3 : w > 8 ? 2 : w == 8 ? 1 : 0;
                for (ptrdiff_t g = 0; g < rows; g += ROWS) {
                    ptrdiff_t mr = rows - g < ROWS ? rows - g : ROWS;
                    float *ct = c + (r0 + g) * ldc + col;
                    if (direct) {
                        direct_tiles[mr][variant](ablock + g * lda, lda, b, w, kc, ct, ldc, m0, m1, first, last,
                                                  accumulate, bias + col, relu);
                    } else {
                        tiles[mr][variant](ap + g * kc, lda, b, w, kc, ct, ldc, m0, m1, first, last, accumulate,
                                           bias + col, relu);
                    }
                }
            }
        }
    }
}

#else  // Not x86-64: cvrnet_avx2_available() is 0 and this is never called.

void cvrnet_avx2_packed_gemm(ptrdiff_t row_begin, ptrdiff_t row_end, ptrdiff_t panel_begin, ptrdiff_t panel_end,
                             ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *packed,
                             float *c, ptrdiff_t ldc, const float *bias, int relu, int accumulate) {
    abort();
}

#endif
