// The vocabulary the bf16 kernel bodies (packed_gemm_bf16_avx512_body.h,
// packed_gemm_bf16_amx_body.h) are written in, mapped to the real instructions: AVX512_BF16's
// VDPBF16PS on zmm registers, and the AMX tile instructions. bf16_instructions_emulated.h maps
// the same names to C that follows the Intel SDM's pseudocode, so one kernel source builds twice.
// x86-64 only; each function using these carries the target attribute below (no file-wide flags).
#ifndef CVRNET_BF16_INSTRUCTIONS_NATIVE_H
#define CVRNET_BF16_INSTRUCTIONS_NATIVE_H
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define BF16_AVX512_TARGET __attribute__((target("avx512f,avx512bf16")))
// The AMX kernel's epilogue is plain C over floats: avx512f lets the compiler vectorise it.
#define BF16_AMX_TARGET __attribute__((target("amx-tile,amx-bf16,avx512f")))

// --- AVX512_BF16 -------------------------------------------------------------------------------
typedef __m512 f32x16;    // 16 float lanes
typedef __m512i bf16x32;  // 32 bf16 values: 16 pairs, one per float lane
typedef __mmask16 mask16;

#define f32x16_zero() _mm512_setzero_ps()
#define f32x16_load_masked(mask, p) _mm512_maskz_loadu_ps((mask), (p))
#define f32x16_store_masked(p, mask, v) _mm512_mask_storeu_ps((p), (mask), (v))
#define f32x16_add(x, y) _mm512_add_ps((x), (y))
#define f32x16_max(x, y) _mm512_max_ps((x), (y))  // MAXPS: y when x is NaN or both are zeros
#define bf16x32_load(p) _mm512_loadu_si512((const void *)(p))
// VDPBF16PS: acc.fp32[i] += a.bf16[2i+1] * b.bf16[2i+1], then += a.bf16[2i] * b.bf16[2i].
#define f32x16_dpbf16(acc, a, b) _mm512_dpbf16_ps((acc), (__m512bh)(a), (__m512bh)(b))

// One pair of bf16 (32 bits, read as such: memcpy, not a cast, keeps it free of aliasing
// questions) in every lane: compiles to one vpbroadcastd from memory.
BF16_AVX512_TARGET static inline bf16x32 bf16x32_broadcast_pair(const uint16_t *p) {
    int32_t pair;
    memcpy(&pair, p, sizeof pair);
    return _mm512_set1_epi32(pair);
}

// --- AMX: tile numbers must be constants (they are encoded in the instruction) ----------------
#define amx_load_config(config) _tile_loadconfig(config)
#define amx_zero(t) _tile_zero(t)
#define amx_load(t, base, stride) _tile_loadd(t, base, stride)
#define amx_dpbf16ps(c, a, b) _tile_dpbf16ps(c, a, b)
#define amx_store(t, base, stride) _tile_stored(t, base, stride)
#define amx_release() _tile_release()

#endif
