// The AVX512_BF16 bf16 GEMM, written once in the vocabulary of bf16_instructions_native.h /
// bf16_instructions_emulated.h (whichever the including file included first) and defining
// BF16_KERNEL(avx512) (packed_gemm_bf16_kernels.h).
//
// As packed_gemm.c, in bf16: rows in blocks of ROW_BLOCK, k in blocks of K_BLOCK; each block of
// A rounded to bf16 into this thread's scratch (row-major, a row of kc values padded to whole
// pairs with a zero); a micro-kernel computes a ROWS x 32 tile of C in 2 * ROWS float vectors
// (28 of the 32 zmm registers), per pair of k loading the pair-row of the panel as two vectors
// (left and right 16 columns: the packed panel is zero-padded to 32 columns and whole pairs, so
// these loads need no masks) and broadcasting each row's pair of A as one 32-bit value, two
// VDPBF16PS per row. Partial sums go through C between k blocks (first / last / accumulate as
// in packed_gemm.c); the bias and ReLU are applied in the last block; C's columns past n are
// masked off.
//
// Each element is one chain over the pairs of k in order, from zero or the residual, then + bias,
// then ReLU: its arithmetic never depends on the row, panel or k-block position (C holds the
// exact float between k blocks), so any split between threads gives the same bits.

#define AVX512_ROWS 14
// 512 bf16 of k: a block of the panel is 32 KB, as packed_gemm.c's 256 floats.
#define AVX512_K_BLOCK 512
#define AVX512_ROW_BLOCK (AVX512_ROWS * 12)
#define UNROLLED _Pragma("clang loop unroll(full)")

// `a`: the tile's first row of rounded A (row stride `lda`, in bf16); `b`: the panel's first
// pair-row of the k block; `pairs`: pairs of k in the block.
#define AVX512_TILE_ARGS                                                                           \
    const uint16_t *a, ptrdiff_t lda, const uint16_t *b, ptrdiff_t pairs, float *c, ptrdiff_t ldc,  \
        mask16 m0, mask16 m1, int first, int last, int accumulate, const float *bias, int relu

#define AVX512_TILE_BODY(MR)                                                                       \
    f32x16 c0[MR], c1[MR];                                                                         \
    if (first && !accumulate) {                                                                    \
        UNROLLED for (int i = 0; i < MR; i++) { c0[i] = f32x16_zero(); c1[i] = f32x16_zero(); }    \
    } else {                                                                                       \
        UNROLLED for (int i = 0; i < MR; i++) {                                                    \
            c0[i] = f32x16_load_masked(m0, c + i * ldc);                                           \
            c1[i] = f32x16_load_masked(m1, c + i * ldc + 16);                                      \
        }                                                                                          \
    }                                                                                              \
    for (ptrdiff_t j = 0; j < pairs; j++) {                                                        \
        bf16x32 b0 = bf16x32_load(b + j * 2 * CVRNET_BF16_PANEL_WIDTH);                            \
        bf16x32 b1 = bf16x32_load(b + j * 2 * CVRNET_BF16_PANEL_WIDTH + CVRNET_BF16_PANEL_WIDTH);  \
        UNROLLED for (int i = 0; i < MR; i++) {                                                    \
            bf16x32 ai = bf16x32_broadcast_pair(a + i * lda + 2 * j);                              \
            c0[i] = f32x16_dpbf16(c0[i], ai, b0);                                                  \
            c1[i] = f32x16_dpbf16(c1[i], ai, b1);                                                  \
        }                                                                                          \
    }                                                                                              \
    if (last) {                                                                                    \
        f32x16 bias0 = f32x16_load_masked(m0, bias), bias1 = f32x16_load_masked(m1, bias + 16);   \
        f32x16 zero = f32x16_zero();                                                               \
        UNROLLED for (int i = 0; i < MR; i++) {                                                    \
            c0[i] = f32x16_add(c0[i], bias0);                                                      \
            c1[i] = f32x16_add(c1[i], bias1);                                                      \
            if (relu) {                                                                            \
                c0[i] = f32x16_max(c0[i], zero);                                                   \
                c1[i] = f32x16_max(c1[i], zero);                                                   \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    UNROLLED for (int i = 0; i < MR; i++) {                                                        \
        f32x16_store_masked(c + i * ldc, m0, c0[i]);                                               \
        f32x16_store_masked(c + i * ldc + 16, m1, c1[i]);                                          \
    }

typedef void (*avx512_tile_fn)(AVX512_TILE_ARGS);

#define AVX512_DEFINE_TILE(MR) \
    BF16_AVX512_TARGET static void avx512_tile_##MR(AVX512_TILE_ARGS) { AVX512_TILE_BODY(MR) }

AVX512_DEFINE_TILE(1)
AVX512_DEFINE_TILE(2)
AVX512_DEFINE_TILE(3)
AVX512_DEFINE_TILE(4)
AVX512_DEFINE_TILE(5)
AVX512_DEFINE_TILE(6)
AVX512_DEFINE_TILE(7)
AVX512_DEFINE_TILE(8)
AVX512_DEFINE_TILE(9)
AVX512_DEFINE_TILE(10)
AVX512_DEFINE_TILE(11)
AVX512_DEFINE_TILE(12)
AVX512_DEFINE_TILE(13)
AVX512_DEFINE_TILE(14)

static const avx512_tile_fn avx512_tiles[AVX512_ROWS + 1] = {
    0, avx512_tile_1, avx512_tile_2, avx512_tile_3, avx512_tile_4, avx512_tile_5, avx512_tile_6, avx512_tile_7,
    avx512_tile_8, avx512_tile_9, avx512_tile_10, avx512_tile_11, avx512_tile_12, avx512_tile_13, avx512_tile_14,
};

BF16_AVX512_TARGET void BF16_KERNEL(avx512)(BF16_KERNEL_ARGS) {
    const ptrdiff_t kp = cvrnet_bf16_padded_k(k), w = CVRNET_BF16_PANEL_WIDTH;
    // This thread's block (thread_block.c), in floats: ROW_BLOCK x K_BLOCK bf16.
    uint16_t *ab = (uint16_t *)(void *)cvrnet_thread_block((size_t)AVX512_ROW_BLOCK * AVX512_K_BLOCK / 2);
    for (ptrdiff_t r0 = row_begin; r0 < row_end; r0 += AVX512_ROW_BLOCK) {
        ptrdiff_t rows = row_end - r0 < AVX512_ROW_BLOCK ? row_end - r0 : AVX512_ROW_BLOCK;
        for (ptrdiff_t k0 = 0; k0 < k; k0 += AVX512_K_BLOCK) {
            ptrdiff_t kc = k - k0 < AVX512_K_BLOCK ? k - k0 : AVX512_K_BLOCK;
            ptrdiff_t pairs = (kc + 1) / 2;  // K_BLOCK is even: only the last block can end in half a pair
            int first = k0 == 0, last = k0 + kc == k;
            cvrnet_bf16_round_rows(a + r0 * lda + k0, lda, rows, kc, ab, 2 * pairs);
            for (ptrdiff_t p = panel_begin; p < panel_end; p++) {
                ptrdiff_t col = p * w, width = n - col < w ? n - col : w;
                const uint16_t *b = packed + p * kp * w + k0 * w;  // pair-row k0 / 2: (k0 / 2) * 2w values
                mask16 m0 = bf16_lanes(width), m1 = bf16_lanes(width - 16);
                for (ptrdiff_t g = 0; g < rows; g += AVX512_ROWS) {
                    ptrdiff_t mr = rows - g < AVX512_ROWS ? rows - g : AVX512_ROWS;
                    avx512_tiles[mr](ab + g * 2 * pairs, 2 * pairs, b, pairs, c + (r0 + g) * ldc + col, ldc, m0, m1,
                                     first, last, accumulate, bias + col, relu);
                }
            }
        }
    }
}
