// The AMX-BF16 GEMM, written once in the vocabulary of bf16_instructions_native.h /
// bf16_instructions_emulated.h (whichever the including file included first) and defining
// BF16_KERNEL(amx) (packed_gemm_bf16_kernels.h).
//
// All 8 tile registers are configured once per call as 16 rows x 64 bytes (palette 1's
// largest): tmm0-3 hold a 32 x 32 block of C as 2 x 2 tiles of 16 x 16 floats, tmm4-5 two
// 16-row slices of A (16 rows x 32 bf16 of k), tmm6-7 the left and right halves of the panel for
// those 32 k (16 pair-rows x 16 columns x 2 bf16: the packed layout's 128-byte pair-rows, so a
// half is 64 bytes at stride 128, and TDPBF16PS's shapes hold: dest and src2 both 64 bytes a
// row, src1's 16 pairs a row = src2's 16 rows, dest and src1 both 16 rows).
//
// Rows in blocks of ROW_BLOCK (A rounded to bf16 into this thread's scratch, row stride the
// padded k, zero rows up to a multiple of 32 so tile loads never read past it: 128 x 4608 bf16
// at most, 1.2 MB, held in a Sapphire Rapids core's 2 MB L2), then panels, then blocks of 32
// rows. Each block runs over the whole padded k in steps of 32 (no k blocking: the sums stay in
// the tiles), then goes through a 32 x 32 float scratch for the epilogue, which adds the residual
// (C, with `accumulate`) and the bias, applies ReLU and writes only C's rows and columns.
//
// Each element: TDPBF16PS over the k steps in order from zero, then + residual, + bias, ReLU:
// nothing depends on the row or panel position, so any split between threads gives the same bits.

#define AMX_ROW_BLOCK 128
#define AMX_BLOCK 32  // rows and columns of C per 2 x 2 tiles

BF16_AMX_TARGET void BF16_KERNEL(amx)(BF16_KERNEL_ARGS) {
    const ptrdiff_t kp = cvrnet_bf16_padded_k(k), w = CVRNET_BF16_PANEL_WIDTH;
    // This thread's block (thread_block.c): the C scratch, then the block of A (floats: 2 bf16 each).
    float *scratch = cvrnet_thread_block((size_t)(AMX_BLOCK * AMX_BLOCK) + (size_t)(AMX_ROW_BLOCK * kp / 2));
    uint16_t *ab = (uint16_t *)(void *)(scratch + AMX_BLOCK * AMX_BLOCK);

    struct amx_tile_config config __attribute__((aligned(64)));
    memset(&config, 0, sizeof config);
    config.palette_id = 1;
    for (int t = 0; t < AMX_TILES; t++) {
        config.rows[t] = AMX_MAX_ROWS;
        config.colsb[t] = AMX_MAX_COLSB;
    }
    amx_load_config(&config);

    const ptrdiff_t a_stride = kp * (ptrdiff_t)sizeof(uint16_t);         // bytes between rows of A
    const ptrdiff_t b_stride = 2 * w * (ptrdiff_t)sizeof(uint16_t);      // bytes between pair-rows
    const ptrdiff_t c_stride = AMX_BLOCK * (ptrdiff_t)sizeof(float);      // bytes between scratch rows
    for (ptrdiff_t r0 = row_begin; r0 < row_end; r0 += AMX_ROW_BLOCK) {
        ptrdiff_t rows = row_end - r0 < AMX_ROW_BLOCK ? row_end - r0 : AMX_ROW_BLOCK;
        ptrdiff_t padded_rows = (rows + AMX_BLOCK - 1) / AMX_BLOCK * AMX_BLOCK;
        cvrnet_bf16_round_rows(a + r0 * lda, lda, rows, k, ab, kp);
        memset(ab + rows * kp, 0, (size_t)((padded_rows - rows) * kp) * sizeof(uint16_t));
        for (ptrdiff_t p = panel_begin; p < panel_end; p++) {
            ptrdiff_t col = p * w, width = n - col < w ? n - col : w;
            const uint16_t *panel = packed + p * kp * w;
            for (ptrdiff_t g = 0; g < rows; g += AMX_BLOCK) {
                const uint16_t *a0 = ab + g * kp, *a1 = a0 + 16 * kp;
                amx_zero(0);
                amx_zero(1);
                amx_zero(2);
                amx_zero(3);
                for (ptrdiff_t kk = 0; kk < kp; kk += CVRNET_BF16_K_STEP) {
                    const uint16_t *b = panel + (kk / 2) * 2 * w;  // pair-row kk / 2
                    amx_load(4, a0 + kk, a_stride);
                    amx_load(5, a1 + kk, a_stride);
                    amx_load(6, b, b_stride);
                    amx_load(7, b + 16 * 2, b_stride);  // columns 16-31: 16 pairs further on
                    amx_dpbf16ps(0, 4, 6);
                    amx_dpbf16ps(1, 4, 7);
                    amx_dpbf16ps(2, 5, 6);
                    amx_dpbf16ps(3, 5, 7);
                }
                amx_store(0, scratch, c_stride);
                amx_store(1, scratch + 16, c_stride);
                amx_store(2, scratch + 16 * AMX_BLOCK, c_stride);
                amx_store(3, scratch + 16 * AMX_BLOCK + 16, c_stride);
                ptrdiff_t mr = rows - g < AMX_BLOCK ? rows - g : AMX_BLOCK;
                for (ptrdiff_t i = 0; i < mr; i++) {
                    const float *sums = scratch + i * AMX_BLOCK;
                    float *ci = c + (r0 + g + i) * ldc + col;
                    for (ptrdiff_t j = 0; j < width; j++) {
                        float v = accumulate ? sums[j] + ci[j] : sums[j];
                        v += bias[col + j];
                        ci[j] = relu ? (v > 0.0f ? v : 0.0f) : v;  // as MAXPS(v, 0): NaN gives 0
                    }
                }
            }
        }
    }
    amx_release();
}
