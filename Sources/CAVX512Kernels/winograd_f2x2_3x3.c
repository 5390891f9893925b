// Winograd minimal filtering F(2x2, 3x3) (Lavin & Gray, "Fast Algorithms for Convolutional
// Neural Networks", 2016) for 3x3 stride-1 convolutions: each 2x2 output tile costs 16
// multiplies per input/output channel pair instead of 36.
//
//   V = Bt d B   (4x4 input tile d, per channel)          input transform, here
//   M_p = V_p U_p (p = 0..15: tiles x cin times cin x cout)  cvrnet_packed_gemm
//   Y = At M A   (2x2 output tile), + bias, ReLU             output transform, here
//
// with U = G g Gt the kernel transformed once at load time. Bt and At hold only 0 and +-1, so
// the data transforms are exact additions; G has 1/2 entries, computed in double precision.
#include <math.h>
#include <stdlib.h>

#include "CAVX512Kernels.h"

void cvrnet_winograd_f2x2_kernel_transform(const float *kernel, ptrdiff_t cin, ptrdiff_t cout, float *u) {
    static const double g[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    for (ptrdiff_t ci = 0; ci < cin; ci++) {
        for (ptrdiff_t co = 0; co < cout; co++) {
            double w[3][3], gw[4][3];
            for (int ky = 0; ky < 3; ky++)
                for (int kx = 0; kx < 3; kx++) w[ky][kx] = kernel[((ky * 3 + kx) * cin + ci) * cout + co];
            for (int i = 0; i < 4; i++)
                for (int kx = 0; kx < 3; kx++) gw[i][kx] = g[i][0] * w[0][kx] + g[i][1] * w[1][kx] + g[i][2] * w[2][kx];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                    u[((i * 4 + j) * cin + ci) * cout + co] =
                        (float)(gw[i][0] * g[j][0] + gw[i][1] * g[j][1] + gw[i][2] * g[j][2]);
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

static inline __mmask16 channel_lanes(ptrdiff_t count) {
    return count >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1u);
}

__attribute__((target("avx512f")))
void cvrnet_winograd_f2x2_input_transform(const float *input, ptrdiff_t height, ptrdiff_t width, ptrdiff_t channels,
                                          ptrdiff_t pad_top, ptrdiff_t pad_left, ptrdiff_t tiles_x,
                                          ptrdiff_t tile_row_begin, ptrdiff_t tile_row_end,
                                          ptrdiff_t first_tile_row, ptrdiff_t band_tiles, float *v) {
    const ptrdiff_t position_stride = band_tiles * channels;
    for (ptrdiff_t ty = tile_row_begin; ty < tile_row_end; ty++) {
        for (ptrdiff_t tx = 0; tx < tiles_x; tx++) {
            const ptrdiff_t tile = (ty - first_tile_row) * tiles_x + tx;
            const ptrdiff_t y0 = 2 * ty - pad_top, x0 = 2 * tx - pad_left;
            const float *rows[4];
            int valid_col[4];
            for (int i = 0; i < 4; i++) {
                ptrdiff_t y = y0 + i;
                rows[i] = (y >= 0 && y < height) ? input + y * width * channels : NULL;
                valid_col[i] = (x0 + i >= 0 && x0 + i < width);
            }
            float *dst = v + tile * channels;
            for (ptrdiff_t c = 0; c < channels; c += 16) {
                const __mmask16 m = channel_lanes(channels - c);
                __m512 d[4][4];
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++)
                        d[i][j] = (rows[i] && valid_col[j])
                                      ? _mm512_maskz_loadu_ps(m, rows[i] + (x0 + j) * channels + c)
                                      : _mm512_setzero_ps();
                // Bt d: rows (d0 - d2, d1 + d2, d2 - d1, d1 - d3).
                __m512 e[4][4];
                for (int j = 0; j < 4; j++) {
                    e[0][j] = _mm512_sub_ps(d[0][j], d[2][j]);
                    e[1][j] = _mm512_add_ps(d[1][j], d[2][j]);
                    e[2][j] = _mm512_sub_ps(d[2][j], d[1][j]);
                    e[3][j] = _mm512_sub_ps(d[1][j], d[3][j]);
                }
                // (Bt d) B: the same on the columns.
                for (int i = 0; i < 4; i++) {
                    float *p = dst + (i * 4) * position_stride + c;
                    _mm512_mask_storeu_ps(p, m, _mm512_sub_ps(e[i][0], e[i][2]));
                    _mm512_mask_storeu_ps(p + position_stride, m, _mm512_add_ps(e[i][1], e[i][2]));
                    _mm512_mask_storeu_ps(p + 2 * position_stride, m, _mm512_sub_ps(e[i][2], e[i][1]));
                    _mm512_mask_storeu_ps(p + 3 * position_stride, m, _mm512_sub_ps(e[i][1], e[i][3]));
                }
            }
        }
    }
}

__attribute__((target("avx512f")))
void cvrnet_winograd_f2x2_output_transform(const float *mp, ptrdiff_t out_height, ptrdiff_t out_width,
                                           ptrdiff_t channels, ptrdiff_t tiles_x,
                                           ptrdiff_t tile_row_begin, ptrdiff_t tile_row_end,
                                           ptrdiff_t first_tile_row, ptrdiff_t band_tiles,
                                           const float *bias, int relu, float *output) {
    const ptrdiff_t position_stride = band_tiles * channels;
    const __m512 zero = _mm512_setzero_ps();
    for (ptrdiff_t ty = tile_row_begin; ty < tile_row_end; ty++) {
        for (ptrdiff_t tx = 0; tx < tiles_x; tx++) {
            const ptrdiff_t tile = (ty - first_tile_row) * tiles_x + tx;
            const float *src = mp + tile * channels;
            const ptrdiff_t oy = 2 * ty, ox = 2 * tx;
            const int rows = oy + 1 < out_height ? 2 : 1, cols = ox + 1 < out_width ? 2 : 1;
            for (ptrdiff_t c = 0; c < channels; c += 16) {
                const __mmask16 m = channel_lanes(channels - c);
                __m512 x[4][4];
                for (int p = 0; p < 16; p++) x[p / 4][p % 4] = _mm512_maskz_loadu_ps(m, src + p * position_stride + c);
                // At M: rows (m0 + m1 + m2, m1 - m2 - m3); then (At M) A on the columns.
                __m512 s[2][4];
                for (int j = 0; j < 4; j++) {
                    s[0][j] = _mm512_add_ps(_mm512_add_ps(x[0][j], x[1][j]), x[2][j]);
                    s[1][j] = _mm512_sub_ps(_mm512_sub_ps(x[1][j], x[2][j]), x[3][j]);
                }
                const __m512 b = _mm512_maskz_loadu_ps(m, bias + c);
                for (int r = 0; r < rows; r++) {
                    __m512 y[2];
                    y[0] = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(s[r][0], s[r][1]), s[r][2]), b);
                    y[1] = _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(s[r][1], s[r][2]), s[r][3]), b);
                    float *o = output + ((oy + r) * out_width + ox) * channels + c;
                    for (int q = 0; q < cols; q++) {
                        __m512 value = relu ? _mm512_max_ps(y[q], zero) : y[q];
                        _mm512_mask_storeu_ps(o + q * channels, m, value);
                    }
                }
            }
        }
    }
}

// The same transforms with 8-wide AVX2 vectors (the same additions in the same order, so the
// same bits), for CPUs without AVX-512.
#include "avx2_lanes.h"

AVX2 void cvrnet_avx2_winograd_f2x2_input_transform(const float *input, ptrdiff_t height, ptrdiff_t width,
                                                    ptrdiff_t channels, ptrdiff_t pad_top, ptrdiff_t pad_left,
                                                    ptrdiff_t tiles_x, ptrdiff_t tile_row_begin,
                                                    ptrdiff_t tile_row_end, ptrdiff_t first_tile_row,
                                                    ptrdiff_t band_tiles, float *v) {
    const ptrdiff_t position_stride = band_tiles * channels;
    for (ptrdiff_t ty = tile_row_begin; ty < tile_row_end; ty++) {
        for (ptrdiff_t tx = 0; tx < tiles_x; tx++) {
            const ptrdiff_t tile = (ty - first_tile_row) * tiles_x + tx;
            const ptrdiff_t y0 = 2 * ty - pad_top, x0 = 2 * tx - pad_left;
            const float *rows[4];
            int valid_col[4];
            for (int i = 0; i < 4; i++) {
                ptrdiff_t y = y0 + i;
                rows[i] = (y >= 0 && y < height) ? input + y * width * channels : NULL;
                valid_col[i] = (x0 + i >= 0 && x0 + i < width);
            }
            float *dst = v + tile * channels;
            for (ptrdiff_t c = 0; c < channels; c += 8) {
                const int m = channels - c >= 8 ? 8 : (int)(channels - c);
                __m256 d[4][4];
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++)
                        d[i][j] = (rows[i] && valid_col[j]) ? avx2_load_lanes(rows[i] + (x0 + j) * channels + c, m)
                                                            : _mm256_setzero_ps();
                __m256 e[4][4];
                for (int j = 0; j < 4; j++) {
                    e[0][j] = _mm256_sub_ps(d[0][j], d[2][j]);
                    e[1][j] = _mm256_add_ps(d[1][j], d[2][j]);
                    e[2][j] = _mm256_sub_ps(d[2][j], d[1][j]);
                    e[3][j] = _mm256_sub_ps(d[1][j], d[3][j]);
                }
                for (int i = 0; i < 4; i++) {
                    float *p = dst + (i * 4) * position_stride + c;
                    avx2_store_lanes(p, m, _mm256_sub_ps(e[i][0], e[i][2]));
                    avx2_store_lanes(p + position_stride, m, _mm256_add_ps(e[i][1], e[i][2]));
                    avx2_store_lanes(p + 2 * position_stride, m, _mm256_sub_ps(e[i][2], e[i][1]));
                    avx2_store_lanes(p + 3 * position_stride, m, _mm256_sub_ps(e[i][1], e[i][3]));
                }
            }
        }
    }
}

AVX2 void cvrnet_avx2_winograd_f2x2_output_transform(const float *mp, ptrdiff_t out_height, ptrdiff_t out_width,
                                                     ptrdiff_t channels, ptrdiff_t tiles_x,
                                                     ptrdiff_t tile_row_begin, ptrdiff_t tile_row_end,
                                                     ptrdiff_t first_tile_row, ptrdiff_t band_tiles,
                                                     const float *bias, int relu, float *output) {
    const ptrdiff_t position_stride = band_tiles * channels;
    const __m256 zero = _mm256_setzero_ps();
    for (ptrdiff_t ty = tile_row_begin; ty < tile_row_end; ty++) {
        for (ptrdiff_t tx = 0; tx < tiles_x; tx++) {
            const ptrdiff_t tile = (ty - first_tile_row) * tiles_x + tx;
            const float *src = mp + tile * channels;
            const ptrdiff_t oy = 2 * ty, ox = 2 * tx;
            const int rows = oy + 1 < out_height ? 2 : 1, cols = ox + 1 < out_width ? 2 : 1;
            for (ptrdiff_t c = 0; c < channels; c += 8) {
                const int m = channels - c >= 8 ? 8 : (int)(channels - c);
                __m256 x[4][4];
                for (int p = 0; p < 16; p++) x[p / 4][p % 4] = avx2_load_lanes(src + p * position_stride + c, m);
                __m256 s[2][4];
                for (int j = 0; j < 4; j++) {
                    s[0][j] = _mm256_add_ps(_mm256_add_ps(x[0][j], x[1][j]), x[2][j]);
                    s[1][j] = _mm256_sub_ps(_mm256_sub_ps(x[1][j], x[2][j]), x[3][j]);
                }
                const __m256 b = avx2_load_lanes(bias + c, m);
                for (int r = 0; r < rows; r++) {
                    __m256 y[2];
                    y[0] = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s[r][0], s[r][1]), s[r][2]), b);
                    y[1] = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(s[r][1], s[r][2]), s[r][3]), b);
                    float *o = output + ((oy + r) * out_width + ox) * channels + c;
                    for (int q = 0; q < cols; q++) {
                        __m256 value = relu ? _mm256_max_ps(y[q], zero) : y[q];
                        avx2_store_lanes(o + q * channels, m, value);
                    }
                }
            }
        }
    }
}

#else  // Not x86-64: cvrnet_avx512_available() is 0 and these are never called.

void cvrnet_winograd_f2x2_input_transform(const float *input, ptrdiff_t height, ptrdiff_t width, ptrdiff_t channels,
                                          ptrdiff_t pad_top, ptrdiff_t pad_left, ptrdiff_t tiles_x,
                                          ptrdiff_t tile_row_begin, ptrdiff_t tile_row_end,
                                          ptrdiff_t first_tile_row, ptrdiff_t band_tiles, float *v) {
    abort();
}

void cvrnet_winograd_f2x2_output_transform(const float *mp, ptrdiff_t out_height, ptrdiff_t out_width,
                                           ptrdiff_t channels, ptrdiff_t tiles_x,
                                           ptrdiff_t tile_row_begin, ptrdiff_t tile_row_end,
                                           ptrdiff_t first_tile_row, ptrdiff_t band_tiles,
                                           const float *bias, int relu, float *output) {
    abort();
}

void cvrnet_avx2_winograd_f2x2_input_transform(const float *input, ptrdiff_t height, ptrdiff_t width,
                                               ptrdiff_t channels, ptrdiff_t pad_top, ptrdiff_t pad_left,
                                               ptrdiff_t tiles_x, ptrdiff_t tile_row_begin, ptrdiff_t tile_row_end,
                                               ptrdiff_t first_tile_row, ptrdiff_t band_tiles, float *v) {
    abort();
}

void cvrnet_avx2_winograd_f2x2_output_transform(const float *mp, ptrdiff_t out_height, ptrdiff_t out_width,
                                                ptrdiff_t channels, ptrdiff_t tiles_x, ptrdiff_t tile_row_begin,
                                                ptrdiff_t tile_row_end, ptrdiff_t first_tile_row,
                                                ptrdiff_t band_tiles, const float *bias, int relu, float *output) {
    abort();
}

#endif
