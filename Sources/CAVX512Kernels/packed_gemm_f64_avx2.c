// The float64 GEMM of ResNet50's stem (`DoubleAccumulation` in Swift) on AVX2 + FMA: the
// im2col rows (float values held in double) times the BatchNorm-folded weights in double, plus
// the bias in double (and a float residual), rounded to float once, then ReLU. It replaces
// OpenBLAS's dgemm on the CPUs that run cvrnet's vector kernels (AVX2 or AVX-512): dgemm with
// n = 64 columns and k = 147 was the slowest single step of a forward pass on AVX2 (about 6 ms
// per image on 2 cores), and OpenBLAS's speed there depends on the core type it recognises.
//
// Products of float values are exact in double (24 + 24 significand bits); each output is one
// chain acc = fma(a[k], b[k], acc) over k in order from zero, then + bias, then + residual, then
// one rounding to float: the same double roundings as any double dot product, a different order
// from dgemm's (so the float results can differ from the portable path's in the last bit of a
// rare tie, never by more: both are within one float ulp of the exact value).
//
// B is packed once at load in panels of CVRNET_GEMM_F64_PANEL_WIDTH = 8 columns (two ymm
// vectors of doubles), zero-padded to a whole panel; tiles are 6 rows x 8 columns: 12
// accumulators, two B vectors and one broadcast of A (15 of 16 registers).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "CAVX512Kernels.h"

#define PANEL CVRNET_GEMM_F64_PANEL_WIDTH
#define ROWS CVRNET_GEMM_F64_TILE_ROWS

void cvrnet_avx2_pack_gemm_weights_f64(const double *b, ptrdiff_t k, ptrdiff_t n, double *packed) {
    for (ptrdiff_t p0 = 0; p0 < n; p0 += PANEL) {
        ptrdiff_t w = n - p0 < PANEL ? n - p0 : PANEL;
        double *dst = packed + k * p0;
        for (ptrdiff_t r = 0; r < k; r++) {
            memcpy(dst + r * PANEL, b + r * n + p0, (size_t)w * sizeof(double));
            for (ptrdiff_t j = w; j < PANEL; j++) dst[r * PANEL + j] = 0.0;
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

// tune=haswell: see packed_gemm_avx2.c (generic tuning splits unaligned 256-bit loads).
#define AVX2 __attribute__((target("avx2,fma,tune=haswell")))
#define UNROLLED _Pragma("clang loop unroll(full)")

// Rounds four double sums to float, then ReLU, and stores the first `count` of them.
AVX2 static inline void store4(float *c, __m256d v, int relu, ptrdiff_t count) {
    __m128 f = _mm256_cvtpd_ps(v);  // round to nearest even, as Float(Double) in Swift
    if (relu) f = _mm_max_ps(f, _mm_setzero_ps());
    if (count >= 4) {
        _mm_storeu_ps(c, f);
    } else if (count > 0) {
        float lanes[4];
        _mm_storeu_ps(lanes, f);
        memcpy(c, lanes, (size_t)count * sizeof(float));
    }
}

// The residual's first `count` floats of four, widened to double (zeros past `count`).
AVX2 static inline __m256d load4(const float *c, ptrdiff_t count) {
    if (count >= 4) return _mm256_cvtps_pd(_mm_loadu_ps(c));
    float lanes[4] = {0, 0, 0, 0};
    if (count > 0) memcpy(lanes, c, (size_t)count * sizeof(float));
    return _mm256_cvtps_pd(_mm_loadu_ps(lanes));
}

// One tile of MR rows and one panel of w <= 8 columns. a: the tile's first row (rows lda apart).
#define DEFINE_TILE(MR)                                                                            \
    AVX2 static void tile_##MR(const double *a, ptrdiff_t lda, const double *b, ptrdiff_t k,        \
                               const double *bias, float *c, ptrdiff_t ldc, ptrdiff_t w, int relu,  \
                               int accumulate) {                                                   \
        __m256d c0[MR], c1[MR];                                                                    \
        UNROLLED for (int i = 0; i < MR; i++) { c0[i] = _mm256_setzero_pd(); c1[i] = _mm256_setzero_pd(); } \
        for (ptrdiff_t kk = 0; kk < k; kk++) {                                                     \
            __m256d b0 = _mm256_loadu_pd(b + kk * PANEL), b1 = _mm256_loadu_pd(b + kk * PANEL + 4); \
            UNROLLED for (int i = 0; i < MR; i++) {                                                \
                __m256d ai = _mm256_broadcast_sd(a + i * lda + kk);                                \
                c0[i] = _mm256_fmadd_pd(ai, b0, c0[i]);                                            \
                c1[i] = _mm256_fmadd_pd(ai, b1, c1[i]);                                            \
            }                                                                                      \
        }                                                                                          \
        __m256d bias0 = _mm256_loadu_pd(bias), bias1 = _mm256_loadu_pd(bias + 4);                  \
        UNROLLED for (int i = 0; i < MR; i++) {                                                    \
            __m256d v0 = _mm256_add_pd(c0[i], bias0), v1 = _mm256_add_pd(c1[i], bias1);            \
            float *row = c + i * ldc;                                                              \
            if (accumulate) {                                                                      \
                v0 = _mm256_add_pd(v0, load4(row, w));                                             \
                v1 = _mm256_add_pd(v1, load4(row + 4, w - 4));                                     \
            }                                                                                      \
            store4(row, v0, relu, w);                                                              \
            store4(row + 4, v1, relu, w - 4);                                                      \
        }                                                                                          \
    }

DEFINE_TILE(1)
DEFINE_TILE(2)
DEFINE_TILE(3)
DEFINE_TILE(4)
DEFINE_TILE(5)
DEFINE_TILE(6)

typedef void (*tile_fn)(const double *, ptrdiff_t, const double *, ptrdiff_t, const double *, float *, ptrdiff_t,
                        ptrdiff_t, int, int);
static const tile_fn tiles[ROWS + 1] = {0, tile_1, tile_2, tile_3, tile_4, tile_5, tile_6};

AVX2 void cvrnet_avx2_packed_gemm_f64(ptrdiff_t row_begin, ptrdiff_t row_end, ptrdiff_t n, ptrdiff_t k,
                                      const double *a, ptrdiff_t lda, const double *packed,
                                      const double *bias, float *c, ptrdiff_t ldc, int relu, int accumulate) {
    // Panels outside, tiles inside: a panel's weights (k x 8 doubles: 9.4 KB for the stem) stay
    // in L1 while the rows stream past.
    for (ptrdiff_t col = 0; col < n; col += PANEL) {
        ptrdiff_t w = n - col < PANEL ? n - col : PANEL;
        const double *b = packed + k * col;
        for (ptrdiff_t r = row_begin; r < row_end; r += ROWS) {
            ptrdiff_t mr = row_end - r < ROWS ? row_end - r : ROWS;
            tiles[mr](a + r * lda, lda, b, k, bias + col, c + r * ldc + col, ldc, w, relu, accumulate);
        }
    }
}

#else  // Not x86-64: cvrnet_avx2_available() is 0 and this is never called.

void cvrnet_avx2_packed_gemm_f64(ptrdiff_t row_begin, ptrdiff_t row_end, ptrdiff_t n, ptrdiff_t k,
                                 const double *a, ptrdiff_t lda, const double *packed,
                                 const double *bias, float *c, ptrdiff_t ldc, int relu, int accumulate) {
    abort();
}

#endif
