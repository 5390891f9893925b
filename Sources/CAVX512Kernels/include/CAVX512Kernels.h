// x86-64 SIMD kernels for the layers that dominate CVR-Net's time: a GEMM whose right-hand matrix
// (the convolution weights) is packed once at load time, Winograd F(2x2, 3x3), and the depthwise
// 3x3 convolution of Xception's SeparableConv2D; in an AVX-512 and an AVX2 + FMA version
// (cvrnet_avx2_*). Callers check cvrnet_avx512_available() / cvrnet_avx2_available() and
// otherwise use the portable Swift/OpenBLAS paths; these functions must not be called on other CPUs.
#ifndef CAVX512_KERNELS_H
#define CAVX512_KERNELS_H

#include <stddef.h>

#include "cvrnet_bf16.h"

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when the CPU and the operating system support AVX-512F (the kernels below), else 0.
int cvrnet_avx512_available(void);

/// 1 when the CPU and the operating system support AVX2 and FMA (the cvrnet_avx2_* kernels), else 0.
int cvrnet_avx2_available(void);

/// CPU features that decide which kernels run (and that a bug report should name), as bits.
enum {
    CVRNET_CPU_AVX2 = 1 << 0,
    CVRNET_CPU_FMA = 1 << 1,
    CVRNET_CPU_AVX512F = 1 << 2,
    CVRNET_CPU_AVX512BW = 1 << 3,
    CVRNET_CPU_AVX512VL = 1 << 4,
    CVRNET_CPU_AVX512BF16 = 1 << 5,
    CVRNET_CPU_AVX512FP16 = 1 << 6,
    CVRNET_CPU_AMX_TILE = 1 << 7,
    CVRNET_CPU_AMX_BF16 = 1 << 8,
    CVRNET_CPU_AMX_INT8 = 1 << 9,
};

/// The CVRNET_CPU_* bits this CPU and operating system support (0 off x86-64).
unsigned int cvrnet_cpu_features(void);

/// Columns in one panel of a packed GEMM weight matrix.
#define CVRNET_GEMM_PANEL_WIDTH 32

/// Packs the row-major k x n matrix `b` into `packed` (k * n floats, same size): panels of
/// CVRNET_GEMM_PANEL_WIDTH columns (the last one narrower when n is not a multiple), each
/// panel k rows of its width, contiguous. `b` and `packed` must not overlap.
void cvrnet_pack_gemm_weights(const float *b, ptrdiff_t k, ptrdiff_t n, float *packed);

/// C[rows, columns of panels] = act(A B + bias (+ C)) for rows [row_begin, row_end) and the
/// panels [panel_begin, panel_end) of `packed` (from cvrnet_pack_gemm_weights).
/// A is m x k row-major with leading dimension lda; C has leading dimension ldc. With
/// `accumulate`, C's previous contents (a residual) are the starting value of the sums.
/// Each element's arithmetic depends only on k, never on the row or panel ranges, so splitting
/// a product between threads gives bit-identical results.
void cvrnet_packed_gemm(ptrdiff_t row_begin, ptrdiff_t row_end, ptrdiff_t panel_begin, ptrdiff_t panel_end,
                        ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *packed,
                        float *c, ptrdiff_t ldc, const float *bias, int relu, int accumulate);

/// Depthwise 3x3 convolution, stride 1, zero padding 1 (Keras SeparableConv2D's first half):
/// output rows [row_begin, row_end) of an HWC map, written to `output` from its first row.
/// `input` holds the map's rows from `input_row_begin` on (0: the whole map); the rows read are
/// those within one of the output rows, so a band of rows is enough.
/// `kernel` is Keras's depthwise_kernel (3, 3, C, 1) flattened: index (ky * 3 + kx) * C + c.
/// With `relu_input`, max(x, 0) is applied to the input while reading it. Taps are summed in
/// Keras's order (ky, then kx), multiply then add (no fused multiply-add), padded taps skipped,
/// exactly like the portable Swift kernel, so both give bit-identical results.
void cvrnet_depthwise_conv3x3(const float *input, ptrdiff_t input_row_begin, ptrdiff_t height, ptrdiff_t width,
                              ptrdiff_t channels, const float *kernel, ptrdiff_t row_begin, ptrdiff_t row_end,
                              float *output, int relu_input);

/// Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions (winograd_f2x2_3x3.c). Transformed maps
/// hold 16 positions p of `band_tiles` tiles of `channels`: index (p * band_tiles + t) * channels + c,
/// with t = (tile row - first_tile_row) * tiles_x + tile column; tile (ty, tx) covers output
/// rows 2ty, 2ty + 1 and columns 2tx, 2tx + 1.

/// U = G g Gt of a (3, 3, cin, cout) HWIO kernel, into 16 row-major cin x cout matrices
/// (computed in double precision). Portable code.
void cvrnet_winograd_f2x2_kernel_transform(const float *kernel, ptrdiff_t cin, ptrdiff_t cout, float *u);

/// V = Bt d B of the tiles in rows [tile_row_begin, tile_row_end) of an HWC map read with
/// `pad_top` / `pad_left` zero rows and columns before it (and zeros past its end).
void cvrnet_winograd_f2x2_input_transform(const float *input, ptrdiff_t height, ptrdiff_t width, ptrdiff_t channels,
                                          ptrdiff_t pad_top, ptrdiff_t pad_left, ptrdiff_t tiles_x,
                                          ptrdiff_t tile_row_begin, ptrdiff_t tile_row_end,
                                          ptrdiff_t first_tile_row, ptrdiff_t band_tiles, float *v);

/// Y = act(At M A + bias) of the tiles in rows [tile_row_begin, tile_row_end) into an HWC map
/// of out_height x out_width (tiles past its edge are cut).
void cvrnet_winograd_f2x2_output_transform(const float *m, ptrdiff_t out_height, ptrdiff_t out_width,
                                           ptrdiff_t channels, ptrdiff_t tiles_x,
                                           ptrdiff_t tile_row_begin, ptrdiff_t tile_row_end,
                                           ptrdiff_t first_tile_row, ptrdiff_t band_tiles,
                                           const float *bias, int relu, float *output);

/// The AVX2 + FMA versions. The packed GEMM's panels are CVRNET_GEMM_AVX2_PANEL_WIDTH columns
/// wide (so its packed weights are not interchangeable with the AVX-512 kernel's); its tiles are
/// CVRNET_GEMM_AVX2_TILE_ROWS rows high. Every output element is computed by the same chain of
/// fused multiply-adds as in cvrnet_packed_gemm, so the two give the same bits; likewise the
/// Winograd transforms and the depthwise convolution (which matches the portable Swift kernel).
#define CVRNET_GEMM_AVX2_PANEL_WIDTH 16
#define CVRNET_GEMM_AVX2_TILE_ROWS 6

void cvrnet_avx2_pack_gemm_weights(const float *b, ptrdiff_t k, ptrdiff_t n, float *packed);

void cvrnet_avx2_packed_gemm(ptrdiff_t row_begin, ptrdiff_t row_end, ptrdiff_t panel_begin, ptrdiff_t panel_end,
                             ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *packed,
                             float *c, ptrdiff_t ldc, const float *bias, int relu, int accumulate);

void cvrnet_avx2_winograd_f2x2_input_transform(const float *input, ptrdiff_t height, ptrdiff_t width,
                                               ptrdiff_t channels, ptrdiff_t pad_top, ptrdiff_t pad_left,
                                               ptrdiff_t tiles_x, ptrdiff_t tile_row_begin, ptrdiff_t tile_row_end,
                                               ptrdiff_t first_tile_row, ptrdiff_t band_tiles, float *v);

void cvrnet_avx2_winograd_f2x2_output_transform(const float *m, ptrdiff_t out_height, ptrdiff_t out_width,
                                                ptrdiff_t channels, ptrdiff_t tiles_x, ptrdiff_t tile_row_begin,
                                                ptrdiff_t tile_row_end, ptrdiff_t first_tile_row,
                                                ptrdiff_t band_tiles, const float *bias, int relu, float *output);

/// The float64 GEMM of a convolution summed in double (ResNet50's stem, `DoubleAccumulation`):
/// rows [row_begin, row_end) of c = float(relu(a b + bias (+ c))), a and b in double, b packed
/// by cvrnet_avx2_pack_gemm_weights_f64 (k x n, panels of 8 columns zero-padded: k * round_up(n, 8)
/// doubles), bias padded to round_up(n, 8) doubles. Each output is one chain of fused
/// multiply-adds over k in order, so the result does not depend on how rows are split.
#define CVRNET_GEMM_F64_PANEL_WIDTH 8
#define CVRNET_GEMM_F64_TILE_ROWS 6

void cvrnet_avx2_pack_gemm_weights_f64(const double *b, ptrdiff_t k, ptrdiff_t n, double *packed);

void cvrnet_avx2_packed_gemm_f64(ptrdiff_t row_begin, ptrdiff_t row_end, ptrdiff_t n, ptrdiff_t k,
                                 const double *a, ptrdiff_t lda, const double *packed,
                                 const double *bias, float *c, ptrdiff_t ldc, int relu, int accumulate);

void cvrnet_avx2_depthwise_conv3x3(const float *input, ptrdiff_t input_row_begin, ptrdiff_t height, ptrdiff_t width,
                                   ptrdiff_t channels, const float *kernel, ptrdiff_t row_begin, ptrdiff_t row_end,
                                   float *output, int relu_input);

#ifdef __cplusplus
}
#endif

#endif
