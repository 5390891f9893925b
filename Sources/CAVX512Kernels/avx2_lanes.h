// Loads and stores of the first `lanes` (1...8) floats of an 8-wide AVX2 vector. vmaskmovps is
// slow (its store is microcoded on AMD Zen), so only a channel tail takes the masked form.
#ifndef CVRNET_AVX2_LANES_H
#define CVRNET_AVX2_LANES_H

#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

static inline AVX2 __attribute__((always_inline)) __m256i avx2_lane_mask(int lanes) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// The floats at p[0..<lanes], zeros in the other lanes.
static inline AVX2 __attribute__((always_inline)) __m256 avx2_load_lanes(const float *p, int lanes) {
    return lanes >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, avx2_lane_mask(lanes));
}

/// Stores lanes [0, lanes) of v at p, leaving the floats after them alone.
static inline AVX2 __attribute__((always_inline)) void avx2_store_lanes(float *p, int lanes, __m256 v) {
    if (lanes >= 8) _mm256_storeu_ps(p, v);
    else _mm256_maskstore_ps(p, avx2_lane_mask(lanes), v);
}

#endif
