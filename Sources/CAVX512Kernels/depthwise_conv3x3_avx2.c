// depthwise_conv3x3.c for CPUs with AVX2 but no AVX-512: the same loops on 8-wide vectors, the
// same taps in the same order, multiply then add (never fused), so its results are bit-identical
// to the AVX-512 kernel's and the portable Swift kernel's.
#include "CAVX512Kernels.h"

#if defined(__x86_64__)
#include "avx2_lanes.h"
#include <stddef.h>

#define INLINE static inline __attribute__((always_inline))

// Maps at most this wide loop channel blocks outermost, keeping a block's nine kernel vectors in
// registers for the whole row; wider ones loop them innermost, so a group of pixels reads
// contiguous channels. Measured: outermost is faster on Xception's 14x14 middle flow and 7x7
// exit flow, innermost from 28 wide up (28x28, 55x55, 109x109).
#define NARROW_WIDTH 16

// ReLU as the Swift kernel's max(x, 0) evaluates it (0 >= x ? 0 : x): max_ps returns its second
// operand when either is NaN, so a NaN input stays NaN. (It returns -0 for -0 where Swift gives
// +0; every sum starts at +0, so the sign of a zero product never reaches the output.)
INLINE AVX2 __m256 load_input(const float *p, int m, int relu) {
    __m256 x = avx2_load_lanes(p, m);
    return relu ? _mm256_max_ps(_mm256_setzero_ps(), x) : x;
}

// The nine taps of one channel block; masked-off lanes are 0 (and never stored).
INLINE AVX2 void load_kernel(__m256 k[9], const float *kernel, ptrdiff_t c, int m) {
    for (int t = 0; t < 9; t++) k[t] = avx2_load_lanes(kernel + t * c, m);
}

// One output vector (the channel block at `in`, the input pixel under tap (1, 1)) from taps
// ky in [ky0, ky1), kx in [kx0, kx1): the in-range ones, in the Swift kernel's order (ky, then
// kx), multiply then add, never fused. The sum starts at +0 like the Swift kernel's zeroed output.
INLINE AVX2 __m256 pixel(const float *in, ptrdiff_t rs, ptrdiff_t c, const __m256 k[9],
                           int ky0, int ky1, int kx0, int kx1, int m, int relu) {
    __m256 acc = _mm256_setzero_ps();
    for (int ky = ky0; ky < ky1; ky++)
        for (int kx = kx0; kx < kx1; kx++) {
            __m256 x = load_input(in + (ky - 1) * rs + (kx - 1) * c, m, relu);
            acc = _mm256_add_ps(acc, _mm256_mul_ps(x, k[ky * 3 + kx]));
        }
    return acc;
}

// `n` (a constant, at most 8) horizontally adjacent interior pixels of one channel block: each
// input vector is loaded once for the three outputs it feeds, and every output still sums its
// own taps in (ky, kx) order, so the result is the same as `pixel` on each. The taps come from
// `k` (registers) or, when `k` is NULL, are loaded from `kernel` where they are used.
INLINE AVX2 void group(const float *in, ptrdiff_t rs, ptrdiff_t c, const __m256 *k, const float *kernel,
                         float *out, int ky0, int ky1, int m, int relu, const int n) {
    __m256 a[8];
#pragma clang loop unroll(full)
    for (int j = 0; j < 8; j++) a[j] = _mm256_setzero_ps();
    for (int ky = ky0; ky < ky1; ky++) {
        const float *p = in + (ky - 1) * rs - c;
        __m256 v[10];
#pragma clang loop unroll(full)
        for (int j = 0; j < 10; j++)
            if (j < n + 2) v[j] = load_input(p + j * c, m, relu);
#pragma clang loop unroll(full)
        for (int kx = 0; kx < 3; kx++) {
            const __m256 w = k ? k[ky * 3 + kx] : avx2_load_lanes(kernel + (ky * 3 + kx) * c, m);
#pragma clang loop unroll(full)
            for (int j = 0; j < 8; j++)
                if (j < n) a[j] = _mm256_add_ps(a[j], _mm256_mul_ps(v[j + kx], w));
        }
    }
#pragma clang loop unroll(full)
    for (int j = 0; j < 8; j++)
        if (j < n) avx2_store_lanes(out + j * c, m, a[j]);
}

// One output row of a map at most NARROW_WIDTH wide: channel blocks outermost.
INLINE AVX2 void narrow_row(const float *in_row, ptrdiff_t width, ptrdiff_t c, const float *kernel,
                              float *out_row, int ky0, int ky1, int tail, int relu) {
    const ptrdiff_t rs = width * c;
    for (ptrdiff_t ch = 0; ch < c; ch += 8) {
        const int m = c - ch >= 8 ? 8 : tail;
        const float *in = in_row + ch;
        float *out = out_row + ch;
        __m256 k[9];
        load_kernel(k, kernel + ch, c, m);
        if (width == 1) {
            avx2_store_lanes(out, m, pixel(in, rs, c, k, ky0, ky1, 1, 2, m, relu));
            continue;
        }
        avx2_store_lanes(out, m, pixel(in, rs, c, k, ky0, ky1, 1, 3, m, relu));
        ptrdiff_t x = 1;
        for (; x + 4 <= width - 1; x += 4) group(in + x * c, rs, c, k, NULL, out + x * c, ky0, ky1, m, relu, 4);
        for (; x < width - 1; x++)
            avx2_store_lanes(out + x * c, m, pixel(in + x * c, rs, c, k, ky0, ky1, 0, 3, m, relu));
        avx2_store_lanes(out + x * c, m, pixel(in + x * c, rs, c, k, ky0, ky1, 0, 2, m, relu));
    }
}

// Pixel x of a wide row, every channel block, taps kx in [kx0, kx1).
INLINE AVX2 void wide_pixel(const float *in_row, ptrdiff_t rs, ptrdiff_t c, const float *kernel, float *out_row,
                              ptrdiff_t x, int ky0, int ky1, int kx0, int kx1, int tail, int relu) {
    for (ptrdiff_t ch = 0; ch < c; ch += 8) {
        const int m = c - ch >= 8 ? 8 : tail;
        __m256 k[9];
        load_kernel(k, kernel + ch, c, m);
        avx2_store_lanes(out_row + x * c + ch, m,
                              pixel(in_row + x * c + ch, rs, c, k, ky0, ky1, kx0, kx1, m, relu));
    }
}

// Interior pixels [x, x + n) of a wide row, every channel block.
INLINE AVX2 void wide_group(const float *in_row, ptrdiff_t rs, ptrdiff_t c, const float *kernel, float *out_row,
                              ptrdiff_t x, int ky0, int ky1, int tail, int relu, const int n) {
    for (ptrdiff_t ch = 0; ch < c; ch += 8) {
        const int m = c - ch >= 8 ? 8 : tail;
        group(in_row + x * c + ch, rs, c, NULL, kernel + ch, out_row + x * c + ch, ky0, ky1, m, relu, n);
    }
}

// One output row of a map wider than NARROW_WIDTH: pixels in groups of 4 (with 16 registers,
// 8 would spill), channel blocks inside.
INLINE AVX2 void wide_row(const float *in_row, ptrdiff_t width, ptrdiff_t c, const float *kernel,
                            float *out_row, int ky0, int ky1, int tail, int relu) {
    const ptrdiff_t rs = width * c;
    wide_pixel(in_row, rs, c, kernel, out_row, 0, ky0, ky1, 1, 3, tail, relu);
    ptrdiff_t x = 1;
    for (; x + 4 <= width - 1; x += 4) wide_group(in_row, rs, c, kernel, out_row, x, ky0, ky1, tail, relu, 4);
    for (; x < width - 1; x++) wide_pixel(in_row, rs, c, kernel, out_row, x, ky0, ky1, 0, 3, tail, relu);
    wide_pixel(in_row, rs, c, kernel, out_row, x, ky0, ky1, 0, 2, tail, relu);
}

// Rows [row_begin, row_end), specialised (by inlining) for ReLU and for rows with all three
// input rows in range, whose tap loops then unroll.
INLINE AVX2 void conv_rows(const float *input, ptrdiff_t input_row_begin, ptrdiff_t height, ptrdiff_t width,
                             ptrdiff_t c, const float *kernel, ptrdiff_t row_begin, ptrdiff_t row_end, float *output,
                             int relu) {
    const ptrdiff_t rs = width * c;
    const int tail = (int)(c % 8);  // lanes of the last block when c % 8 != 0
    for (ptrdiff_t y = row_begin; y < row_end; y++) {
        const float *in_row = input + (y - input_row_begin) * rs;
        float *out_row = output + (y - row_begin) * rs;
        // Rows outside the map are Keras's 'same' zero padding: their taps are skipped.
        const int ky0 = y == 0 ? 1 : 0, ky1 = y == height - 1 ? 2 : 3;
        if (width <= NARROW_WIDTH) {
            if (ky0 == 0 && ky1 == 3) narrow_row(in_row, width, c, kernel, out_row, 0, 3, tail, relu);
            else narrow_row(in_row, width, c, kernel, out_row, ky0, ky1, tail, relu);
        } else {
            if (ky0 == 0 && ky1 == 3) wide_row(in_row, width, c, kernel, out_row, 0, 3, tail, relu);
            else wide_row(in_row, width, c, kernel, out_row, ky0, ky1, tail, relu);
        }
    }
}

AVX2 void cvrnet_avx2_depthwise_conv3x3(const float *input, ptrdiff_t input_row_begin, ptrdiff_t height,
                                        ptrdiff_t width, ptrdiff_t channels, const float *kernel,
                                        ptrdiff_t row_begin, ptrdiff_t row_end, float *output, int relu_input) {
    if (width <= 0 || channels <= 0) return;
    if (relu_input) conv_rows(input, input_row_begin, height, width, channels, kernel, row_begin, row_end, output, 1);
    else conv_rows(input, input_row_begin, height, width, channels, kernel, row_begin, row_end, output, 0);
}

#else

void cvrnet_avx2_depthwise_conv3x3(const float *input, ptrdiff_t input_row_begin, ptrdiff_t height, ptrdiff_t width,
                                   ptrdiff_t channels, const float *kernel, ptrdiff_t row_begin, ptrdiff_t row_end,
                                   float *output, int relu_input) {
    // Never called: cvrnet_avx2_available() is 0 off x86-64.
    (void)input; (void)input_row_begin; (void)height; (void)width; (void)channels; (void)kernel;
    (void)row_begin; (void)row_end; (void)output; (void)relu_input;
}

#endif
