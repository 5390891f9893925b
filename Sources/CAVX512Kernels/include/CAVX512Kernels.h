// AVX-512 kernels for the layers that dominate CVR-Net's time: a GEMM whose right-hand matrix
// (the convolution weights) is packed once at load time, and the depthwise 3x3 convolution of
// Xception's SeparableConv2D. Callers check cvrnet_avx512_available() and otherwise use the
// portable Swift/OpenBLAS paths; these functions must not be called on other CPUs.
#ifndef CAVX512_KERNELS_H
#define CAVX512_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when the CPU and the operating system support AVX-512F (the kernels below), else 0.
int cvrnet_avx512_available(void);

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
/// `kernel` is Keras's depthwise_kernel (3, 3, C, 1) flattened: index (ky * 3 + kx) * C + c.
/// With `relu_input`, max(x, 0) is applied to the input while reading it. Taps are summed in
/// Keras's order (ky, then kx), multiply then add (no fused multiply-add), padded taps skipped,
/// exactly like the portable Swift kernel, so both give bit-identical results.
void cvrnet_depthwise_conv3x3(const float *input, ptrdiff_t height, ptrdiff_t width, ptrdiff_t channels,
                              const float *kernel, ptrdiff_t row_begin, ptrdiff_t row_end,
                              float *output, int relu_input);

#ifdef __cplusplus
}
#endif

#endif
