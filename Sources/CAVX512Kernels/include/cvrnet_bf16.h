// bfloat16 GEMM (the opt-in `--precision bf16`): convolution weights packed once as bf16, the
// left-hand matrix (im2col or input rows) rounded to bf16 per call, products summed in float32,
// bias / residual / ReLU applied in float32. Two kernels share one packed layout: AMX-BF16 tiles
// (TDPBF16PS, Intel Sapphire Rapids and later) and AVX512_BF16's VDPBF16PS (AMD Zen 4, Intel
// Cooper Lake and later). Each also builds with its bf16 / AMX instructions carried out in C
// (`emulated`), so its packing, blocking and epilogue can be checked on any CPU.
#ifndef CVRNET_BF16_H
#define CVRNET_BF16_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Columns per panel of packed bf16 weights (the last panel is zero-padded to this width).
#define CVRNET_BF16_PANEL_WIDTH 32
/// k is zero-padded to a multiple of this: one AMX tile row holds 32 bf16 values.
#define CVRNET_BF16_K_STEP 32

/// Which bf16 kernel: the `unit` of cvrnet_bf16_packed_gemm.
enum {
    CVRNET_BF16_UNIT_AVX512 = 1,  ///< VDPBF16PS (AVX512_BF16)
    CVRNET_BF16_UNIT_AMX = 2,     ///< TDPBF16PS (AMX-TILE + AMX-BF16)
};

/// `x` rounded to bf16, to nearest with ties to even (what VCVTNEPS2BF16 does); NaN stays a
/// (quiet) NaN, infinities stay infinite.
uint16_t cvrnet_bf16_round(float x);

/// `k` rounded up to a multiple of CVRNET_BF16_K_STEP.
ptrdiff_t cvrnet_bf16_padded_k(ptrdiff_t k);

/// uint16 values of the packed layout of a k x n matrix: padded_k * (n rounded up to a panel).
size_t cvrnet_bf16_packed_count(ptrdiff_t k, ptrdiff_t n);

/// Packs the row-major k x n float matrix `b`, rounded to bf16 (cvrnet_bf16_round), into
/// `packed` (cvrnet_bf16_packed_count values). Panel p (columns 32p..32p+31) starts at
/// p * padded_k * 32; in it, the pair of rows (2j, 2j+1) of column `col` is at
/// (j * 32 + col) * 2 + (row & 1): consecutive k in pairs, as VDPBF16PS and TDPBF16PS read
/// them ("VNNI" order; one 128-byte row of pairs per j, the left 16 columns in its first 64
/// bytes). Rows past k and columns past n are zeros.
void cvrnet_bf16_pack_weights(const float *b, ptrdiff_t k, ptrdiff_t n, uint16_t *packed);

/// Rounds `rows` rows of `k` floats (row stride `lda`) to bf16 into `out` (row stride `ldo` >= k),
/// writing zeros in columns k..ldo-1.
void cvrnet_bf16_round_rows(const float *a, ptrdiff_t lda, ptrdiff_t rows, ptrdiff_t k, uint16_t *out, ptrdiff_t ldo);

/// 1 when this CPU and operating system run the unit's instructions: AVX512_BF16, or AMX-TILE +
/// AMX-BF16 with the tile state enabled (on Linux, after the process asked for it with
/// arch_prctl(ARCH_REQ_XCOMP_PERM): cvrnet_bf16_unit_available asks once and remembers).
int cvrnet_bf16_unit_available(int unit);

/// C[rows, columns of panels] = act(A B + bias (+ C)) like cvrnet_packed_gemm, for rows
/// [row_begin, row_end) and panels [panel_begin, panel_end) of `packed`
/// (cvrnet_bf16_pack_weights), A (float, m x k, leading dimension lda) rounded to bf16 as it is
/// read, products summed in float32. Each element's order of additions depends only on k and
/// the unit, never on the row or panel ranges, so splitting a product between threads gives the
/// same bits. AVX512: one chain over the pairs of k in order, from zero or the residual (C with
/// `accumulate`), per pair the odd k first (VDPBF16PS), then + bias. AMX: per 32 k (one
/// TDPBF16PS, as the Intel SDM describes it) the even and the odd k of the 16 pairs summed
/// apart, their sum added to a running sum from zero; then + residual, + bias. ReLU last.
/// Neither is a float sum of k in order, bit for bit; both are within float32 summation error.
/// With `emulated` 0 the unit must be available (cvrnet_bf16_unit_available); with 1 the same
/// kernel code runs with the unit's instructions carried out in C, on any CPU (tests).
void cvrnet_bf16_packed_gemm(int unit, int emulated, ptrdiff_t row_begin, ptrdiff_t row_end,
                             ptrdiff_t panel_begin, ptrdiff_t panel_end, ptrdiff_t n, ptrdiff_t k,
                             const float *a, ptrdiff_t lda, const uint16_t *packed, float *c, ptrdiff_t ldc,
                             const float *bias, int relu, int accumulate);

#ifdef __cplusplus
}
#endif

#endif
