// GEMM with the weight matrix packed once at load time, and the convolution epilogue fused.
//
// Convolutions are C = A B with A the im2col (or input) rows and B the [kh*kw*cin, cout] weights.
// A general-purpose sgemm repacks B on every call; for CVR-Net's shapes that repacking is 7-12%
// of the encoders' time (it is repeated for every band of rows and every half of a split
// product). Here B lives in the packed layout for good, A is packed per block into the order the
// micro-kernel reads it, and bias, residual and ReLU are applied while the tile is in registers.
//
// Blocking: rows in blocks of ROW_BLOCK, k in blocks of K_BLOCK. The micro-kernel computes a
// ROWS x 32 tile (28 of the 32 zmm registers as accumulators), broadcasting A from its packed
// block and loading two vectors of the B panel per k.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "CAVX512Kernels.h"
#include "thread_block.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define PANEL CVRNET_GEMM_PANEL_WIDTH
#define ROWS 14
#define K_BLOCK 256
#define ROW_BLOCK (ROWS * 12)

void cvrnet_pack_gemm_weights(const float *b, ptrdiff_t k, ptrdiff_t n, float *packed) {
    for (ptrdiff_t p0 = 0; p0 < n; p0 += PANEL) {
        ptrdiff_t w = n - p0 < PANEL ? n - p0 : PANEL;
        float *dst = packed + k * p0;
        for (ptrdiff_t r = 0; r < k; r++) memcpy(dst + r * w, b + r * n + p0, (size_t)w * sizeof(float));
    }
}

// A block of rows [r0, r0 + rows) and k [k0, k0 + kc), packed as groups of ROWS rows:
// group g holds, for each k, the ROWS values a[r0 + g*ROWS + i][k0 + k] (zeros past `rows`).
static void pack_rows(const float *a, ptrdiff_t lda, ptrdiff_t rows, ptrdiff_t kc, float *out) {
    for (ptrdiff_t g = 0; g < rows; g += ROWS) {
        ptrdiff_t mr = rows - g < ROWS ? rows - g : ROWS;
        float *dst = out + g * kc;
        const float *src = a + g * lda;
        if (mr == ROWS) {
            for (ptrdiff_t k = 0; k < kc; k++) {
                float *d = dst + k * ROWS;
                for (int i = 0; i < ROWS; i++) d[i] = src[i * lda + k];
            }
        } else {
            for (ptrdiff_t k = 0; k < kc; k++) {
                float *d = dst + k * ROWS;
                for (int i = 0; i < ROWS; i++) d[i] = i < mr ? src[i * lda + k] : 0.0f;
            }
        }
    }
}

// One tile of `MR` rows and one (TWO == 0) or two (TWO == 1) vectors of columns.
// first: the sums start from zero, or from C with `accumulate`; otherwise from C (partial sums
// of the previous k blocks). last: add the bias, apply ReLU.
// The row loops must be unrolled for the accumulators to live in registers; SwiftPM builds C
// at -O2, which would not unroll them on its own.
#define UNROLLED _Pragma("clang loop unroll(full)")

#define TILE_BODY(MR, TWO, A_STRIDE)                                                                         \
    __m512 c0[MR], c1[MR];                                                                         \
    if (first && !accumulate) {                                                                    \
        UNROLLED for (int i = 0; i < MR; i++) { c0[i] = _mm512_setzero_ps(); c1[i] = _mm512_setzero_ps(); } \
    } else {                                                                                       \
        UNROLLED for (int i = 0; i < MR; i++) {                                                             \
            c0[i] = _mm512_maskz_loadu_ps(m0, c + i * ldc);                                        \
            c1[i] = TWO ? _mm512_maskz_loadu_ps(m1, c + i * ldc + 16) : _mm512_setzero_ps();       \
        }                                                                                          \
    }                                                                                              \
    for (ptrdiff_t k = 0; k < kc; k++) {                                                           \
        const float *bk = b + k * w;                                                               \
        __m512 b0 = TWO ? _mm512_loadu_ps(bk) : _mm512_maskz_loadu_ps(m0, bk);                     \
        __m512 b1 = TWO ? _mm512_maskz_loadu_ps(m1, bk + 16) : _mm512_setzero_ps();                \
        const float *ak = a + k * A_STEP;                                                          \
        UNROLLED for (int i = 0; i < MR; i++) {                                                             \
            __m512 ai = _mm512_set1_ps(ak[i * A_STRIDE]);                                          \
            c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);                                                \
            if (TWO) c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);                                       \
        }                                                                                          \
    }                                                                                              \
    if (last) {                                                                                    \
        __m512 bias0 = _mm512_maskz_loadu_ps(m0, bias);                                            \
        __m512 bias1 = TWO ? _mm512_maskz_loadu_ps(m1, bias + 16) : _mm512_setzero_ps();           \
        __m512 zero = _mm512_setzero_ps();                                                         \
        UNROLLED for (int i = 0; i < MR; i++) {                                                             \
            c0[i] = _mm512_add_ps(c0[i], bias0);                                                   \
            if (TWO) c1[i] = _mm512_add_ps(c1[i], bias1);                                          \
            if (relu) {                                                                            \
                c0[i] = _mm512_max_ps(c0[i], zero);                                                \
                if (TWO) c1[i] = _mm512_max_ps(c1[i], zero);                                       \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    UNROLLED for (int i = 0; i < MR; i++) {                                                                 \
        _mm512_mask_storeu_ps(c + i * ldc, m0, c0[i]);                                             \
        if (TWO) _mm512_mask_storeu_ps(c + i * ldc + 16, m1, c1[i]);                               \
    }

#define TILE_ARGS                                                                                   \
    const float *a, ptrdiff_t lda, const float *b, ptrdiff_t w, ptrdiff_t kc, float *c, ptrdiff_t ldc,            \
        __mmask16 m0, __mmask16 m1, int first, int last, int accumulate, const float *bias, int relu

typedef void (*tile_fn)(TILE_ARGS);

// Packed A: row i of the tile at k is a[k * ROWS + i]. Direct A: a[i * lda + k].
#define A_STEP A_STEP_VALUE
#define DEFINE_TILE(MR)                                                                            \
    __attribute__((target("avx512f"))) static void tile_##MR##_1(TILE_ARGS) {                      \
        enum { A_STEP_VALUE = ROWS };                                                              \
        (void)lda;                                                                                 \
        TILE_BODY(MR, 0, 1)                                                                        \
    }                                                                                              \
    __attribute__((target("avx512f"))) static void tile_##MR##_2(TILE_ARGS) {                      \
        enum { A_STEP_VALUE = ROWS };                                                              \
        (void)lda;                                                                                 \
        TILE_BODY(MR, 1, 1)                                                                        \
    }                                                                                              \
    __attribute__((target("avx512f"))) static void direct_tile_##MR##_1(TILE_ARGS) {               \
        enum { A_STEP_VALUE = 1 };                                                                 \
        TILE_BODY(MR, 0, lda)                                                                      \
    }                                                                                              \
    __attribute__((target("avx512f"))) static void direct_tile_##MR##_2(TILE_ARGS) {               \
        enum { A_STEP_VALUE = 1 };                                                                 \
        TILE_BODY(MR, 1, lda)                                                                      \
    }

DEFINE_TILE(1)
DEFINE_TILE(2)
DEFINE_TILE(3)
DEFINE_TILE(4)
DEFINE_TILE(5)
DEFINE_TILE(6)
DEFINE_TILE(7)
DEFINE_TILE(8)
DEFINE_TILE(9)
DEFINE_TILE(10)
DEFINE_TILE(11)
DEFINE_TILE(12)
DEFINE_TILE(13)
DEFINE_TILE(14)

#define TILES(P)                                                                                   \
    {                                                                                              \
        {0, 0}, {P##1_1, P##1_2}, {P##2_1, P##2_2}, {P##3_1, P##3_2}, {P##4_1, P##4_2},            \
            {P##5_1, P##5_2}, {P##6_1, P##6_2}, {P##7_1, P##7_2}, {P##8_1, P##8_2},                \
            {P##9_1, P##9_2}, {P##10_1, P##10_2}, {P##11_1, P##11_2}, {P##12_1, P##12_2},          \
            {P##13_1, P##13_2}, {P##14_1, P##14_2},                                                \
    }
static const tile_fn tiles[ROWS + 1][2] = TILES(tile_);
static const tile_fn direct_tiles[ROWS + 1][2] = TILES(direct_tile_);

// This thread's block for packed A rows (`thread_block.c`).
static float *packed_rows(void) { return cvrnet_thread_block((size_t)ROW_BLOCK * K_BLOCK); }

static __mmask16 lanes(ptrdiff_t count) {
    if (count <= 0) return 0;
    if (count >= 16) return (__mmask16)0xFFFF;
    return (__mmask16)((1u << count) - 1u);
}

void cvrnet_packed_gemm(ptrdiff_t row_begin, ptrdiff_t row_end, ptrdiff_t panel_begin, ptrdiff_t panel_end,
                        ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *packed,
                        float *c, ptrdiff_t ldc, const float *bias, int relu, int accumulate) {
    // The tiles read A's rows in place, except when rows 4 KB apart (or a multiple) would all
    // map to the same L1 sets: then each block of A is packed first (measured: 88-89 vs
    // 99-105 GFLOP/s for k = 1024 and 2048; in place is faster for every other k in CVR-Net).
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
                __mmask16 m0 = lanes(w), m1 = lanes(w - 16);
                for (ptrdiff_t g = 0; g < rows; g += ROWS) {
                    ptrdiff_t mr = rows - g < ROWS ? rows - g : ROWS;
                    float *ct = c + (r0 + g) * ldc + col;
                    if (direct) {
                        direct_tiles[mr][w > 16](ablock + g * lda, lda, b, w, kc, ct, ldc, m0, m1, first, last,
                                                 accumulate, bias + col, relu);
                    } else {
                        tiles[mr][w > 16](ap + g * kc, lda, b, w, kc, ct, ldc, m0, m1, first, last,
                                          accumulate, bias + col, relu);
                    }
                }
            }
        }
    }
}

#else  // Not x86-64: cvrnet_avx512_available() is 0 and these are never called.

void cvrnet_pack_gemm_weights(const float *b, ptrdiff_t k, ptrdiff_t n, float *packed) { abort(); }

void cvrnet_packed_gemm(ptrdiff_t row_begin, ptrdiff_t row_end, ptrdiff_t panel_begin, ptrdiff_t panel_end,
                        ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *packed,
                        float *c, ptrdiff_t ldc, const float *bias, int relu, int accumulate) {
    abort();
}

#endif
