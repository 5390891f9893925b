// The vocabulary of bf16_instructions_native.h carried out in plain C, for every CPU: the same
// kernel bodies then run where AVX512_BF16 and AMX do not (tests, CI), with their blocking,
// packing, tile shapes and epilogue exercised. Each instruction follows the operation given in
// the Intel SDM (vol. 2): VDPBF16PS, LDTILECFG, TILELOADD, TILESTORED, TILEZERO, TDPBF16PS,
// TILERELEASE. What the SDM makes a fault (#GP, #UD) aborts with a message instead, so a tile
// configuration or shape a Sapphire Rapids would refuse is caught on any machine.
//
// The bf16 arithmetic is the SDM's: each step an "FP32 FMA with DAZ in, FTZ out and RNE
// rounding" (the product of two bf16 is exact in float; the sum is rounded to nearest even),
// denormal inputs read as zeros and denormal results written as zeros, whatever MXCSR says.
// fmaf rounds to nearest even in the default floating-point environment, which cvrnet never
// changes. Not reproduced: which of two NaN operands a real CPU propagates (the SDM's NaN
// priority table); the results are NaN either way.
//
// Include in one C file only (the tile registers are that file's thread-local state).
#ifndef CVRNET_BF16_INSTRUCTIONS_EMULATED_H
#define CVRNET_BF16_INSTRUCTIONS_EMULATED_H
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amx_tile_config.h"

#define BF16_AVX512_TARGET
#define BF16_AMX_TARGET

// --- bf16 and float arithmetic as the bf16 instructions do it ----------------------------------
static inline float float_from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint32_t bits_of_float(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

// The SDM's make_fp32: the bf16's 16 bits as the upper half of a float.
static inline float make_fp32(uint16_t bf16) { return float_from_bits((uint32_t)bf16 << 16); }

// A denormal (exponent bits zero, fraction not) becomes a zero of its sign: DAZ for inputs,
// FTZ for results (the same operation on the bits).
static inline float flush_denormal(float x) {
    uint32_t u = bits_of_float(x);
    return (u & 0x7F800000u) == 0 ? float_from_bits(u & 0x80000000u) : x;
}

// acc + x * y rounded once, DAZ in, FTZ out.
static inline float fma_daz_ftz(float x, float y, float acc) {
    return flush_denormal(fmaf(flush_denormal(x), flush_denormal(y), flush_denormal(acc)));
}

static inline float add_daz_ftz(float x, float y) { return flush_denormal(flush_denormal(x) + flush_denormal(y)); }

// --- AVX512_BF16 -------------------------------------------------------------------------------
// The vector operations are functions, not inlined: the kernel body unrolls its tile's rows, and
// with 16 inlined lanes per operation in each of its 14 tile heights the emulated build took a
// minute to compile (three builds of it in CI); as calls it compiles in seconds and runs about
// as fast (the emulation is for tests).
#define BF16_EMULATED_VECTOR_OP static __attribute__((noinline))
typedef struct { float lane[16]; } f32x16;
typedef struct { uint16_t value[32]; } bf16x32;
typedef uint16_t mask16;

BF16_EMULATED_VECTOR_OP f32x16 f32x16_zero(void) {
    f32x16 v;
    for (int i = 0; i < 16; i++) v.lane[i] = 0.0f;
    return v;
}

// Lanes whose mask bit is clear are zero and their memory is not read (as AVX-512's masked
// loads: no fault past the end of a row).
BF16_EMULATED_VECTOR_OP f32x16 f32x16_load_masked(mask16 mask, const float *p) {
    f32x16 v;
    for (int i = 0; i < 16; i++) v.lane[i] = mask >> i & 1 ? p[i] : 0.0f;
    return v;
}

BF16_EMULATED_VECTOR_OP void f32x16_store_masked(float *p, mask16 mask, f32x16 v) {
    for (int i = 0; i < 16; i++)
        if (mask >> i & 1) p[i] = v.lane[i];
}

// VADDPS under the default MXCSR (no DAZ/FTZ: the real kernel's additions are ordinary ones).
BF16_EMULATED_VECTOR_OP f32x16 f32x16_add(f32x16 x, f32x16 y) {
    for (int i = 0; i < 16; i++) x.lane[i] += y.lane[i];
    return x;
}

// VMAXPS: the second operand unless the first is greater (so y for NaNs and for two zeros).
BF16_EMULATED_VECTOR_OP f32x16 f32x16_max(f32x16 x, f32x16 y) {
    for (int i = 0; i < 16; i++) x.lane[i] = x.lane[i] > y.lane[i] ? x.lane[i] : y.lane[i];
    return x;
}

BF16_EMULATED_VECTOR_OP bf16x32 bf16x32_load(const uint16_t *p) {
    bf16x32 v;
    memcpy(v.value, p, sizeof v.value);
    return v;
}

BF16_EMULATED_VECTOR_OP bf16x32 bf16x32_broadcast_pair(const uint16_t *p) {
    bf16x32 v;
    for (int i = 0; i < 16; i++) {
        v.value[2 * i] = p[0];
        v.value[2 * i + 1] = p[1];
    }
    return v;
}

// VDPBF16PS (SDM): for each lane i, srcdest += src1.bf16[2i+1] * src2.bf16[2i+1], then
// srcdest += src1.bf16[2i] * src2.bf16[2i]: the odd element of the pair first.
BF16_EMULATED_VECTOR_OP f32x16 f32x16_dpbf16(f32x16 acc, bf16x32 a, bf16x32 b) {
    for (int i = 0; i < 16; i++) {
        float t = acc.lane[i];
        t = fma_daz_ftz(make_fp32(a.value[2 * i + 1]), make_fp32(b.value[2 * i + 1]), t);
        t = fma_daz_ftz(make_fp32(a.value[2 * i]), make_fp32(b.value[2 * i]), t);
        acc.lane[i] = t;
    }
    return acc;
}

// --- AMX ---------------------------------------------------------------------------------------
// This thread's tile registers and the configuration loaded by LDTILECFG.
static _Thread_local struct {
    int configured;
    struct amx_tile_config config;
    uint8_t tile[AMX_TILES][AMX_MAX_ROWS][AMX_MAX_COLSB];
} amx_state;

static void amx_fault(const char *instruction, const char *what, int tile) {
    fprintf(stderr, "cvrnet: emulated %s: %s (tile %d); a CPU with AMX would fault here\n", instruction, what, tile);
    abort();
}

// TILERELEASE: tiles back to their init state (unconfigured, zero).
static inline void amx_release(void) { memset(&amx_state, 0, sizeof amx_state); }

// LDTILECFG, with the checks that make it #GP: palette 0 (init state) or 1; start_row 0 (it is
// only nonzero when the CPU restarts an interrupted tile load or store); reserved bytes zero;
// for palette 1's 8 tiles at most 16 rows of 64 bytes, a tile either unused (rows and bytes
// both 0) or used (both nonzero); the fields of tiles 8-15 zero. Loading a configuration
// zeroes the tile data.
static inline void amx_load_config(const void *memory) {
    static const char *const op = "LDTILECFG";
    struct amx_tile_config config;
    memcpy(&config, memory, sizeof config);
    if (config.palette_id == 0) {
        amx_release();
        return;
    }
    if (config.palette_id != 1) amx_fault(op, "palette is not 0 or 1", -1);
    if (config.start_row != 0) amx_fault(op, "start_row is not 0", -1);
    for (int i = 0; i < 14; i++)
        if (config.reserved[i] != 0) amx_fault(op, "a reserved byte (2-15) is not zero", -1);
    for (int t = 0; t < 16; t++) {
        if (t >= AMX_TILES) {
            if (config.colsb[t] != 0 || config.rows[t] != 0) amx_fault(op, "palette 1 has 8 tiles; a field of tiles 8-15 is not zero", t);
            continue;
        }
        if (config.rows[t] > AMX_MAX_ROWS) amx_fault(op, "more than 16 rows", t);
        if (config.colsb[t] > AMX_MAX_COLSB) amx_fault(op, "more than 64 bytes per row", t);
        if ((config.rows[t] == 0) != (config.colsb[t] == 0)) amx_fault(op, "rows and bytes per row must be both zero or both nonzero", t);
    }
    memset(&amx_state, 0, sizeof amx_state);
    amx_state.config = config;
    amx_state.configured = 1;
}

// A tile operand must be a configured tile (#UD otherwise).
static inline void amx_check_tile(const char *instruction, int t) {
    if (!amx_state.configured) amx_fault(instruction, "no tile configuration loaded (LDTILECFG)", t);
    if (t < 0 || t >= AMX_TILES) amx_fault(instruction, "no such tile register", t);
    if (amx_state.config.rows[t] == 0) amx_fault(instruction, "tile not configured (0 rows)", t);
}

// The SDM's write_row_and_zero / zero_upper_rows: bytes past colsb and rows past `rows` are zero.
static inline void amx_zero_outside_shape(int t) {
    int rows = amx_state.config.rows[t], colsb = amx_state.config.colsb[t];
    for (int r = 0; r < AMX_MAX_ROWS; r++) {
        if (r < rows) memset(amx_state.tile[t][r] + colsb, 0, (size_t)(AMX_MAX_COLSB - colsb));
        else memset(amx_state.tile[t][r], 0, AMX_MAX_COLSB);
    }
}

static inline void amx_zero(int t) {
    amx_check_tile("TILEZERO", t);
    memset(amx_state.tile[t], 0, sizeof amx_state.tile[t]);
}

// TILELOADD: `rows` rows of `colsb` bytes, row r at base + r * stride.
static inline void amx_load(int t, const void *base, ptrdiff_t stride) {
    amx_check_tile("TILELOADD", t);
    for (int r = 0; r < amx_state.config.rows[t]; r++)
        memcpy(amx_state.tile[t][r], (const char *)base + r * stride, amx_state.config.colsb[t]);
    amx_zero_outside_shape(t);
}

static inline void amx_store(int t, void *base, ptrdiff_t stride) {
    amx_check_tile("TILESTORED", t);
    for (int r = 0; r < amx_state.config.rows[t]; r++)
        memcpy((char *)base + r * stride, amx_state.tile[t][r], amx_state.config.colsb[t]);
}

static inline float amx_bf16(int t, int row, int index) {
    uint16_t v;
    memcpy(&v, amx_state.tile[t][row] + 2 * index, sizeof v);
    return make_fp32(v);
}

// TDPBF16PS dest, src1, src2 (SDM), with its shape checks (#UD): all three tiles configured and
// distinct, every colsb a multiple of 4, dest.colsb == src2.colsb, src1.colsb / 4 == src2.rows,
// dest.rows == src1.rows. Then, per row m of dest: two float sums per column n, from zero, over
// the pairs k of the row in order: even[n] += src1[m].bf16[2k] * src2[k].bf16[2n] and
// odd[n] += src1[m].bf16[2k+1] * src2[k].bf16[2n+1] (each an FMA with DAZ, FTZ, RNE); then
// dest[m][n] += (even[n] + odd[n]), two roundings. (The intrinsics guide's shorter description,
// one running sum from dest, even then odd, is not the SDM's operation; the SDM is followed.)
static inline void amx_dpbf16ps(int dest, int src1, int src2) {
    static const char *const op = "TDPBF16PS";
    amx_check_tile(op, dest);
    amx_check_tile(op, src1);
    amx_check_tile(op, src2);
    if (dest == src1 || dest == src2 || src1 == src2) amx_fault(op, "the three tile operands must differ", dest);
    const struct amx_tile_config *config = &amx_state.config;
    int dest_colsb = config->colsb[dest], src1_colsb = config->colsb[src1], src2_colsb = config->colsb[src2];
    if (dest_colsb % 4 || src1_colsb % 4 || src2_colsb % 4) amx_fault(op, "bytes per row not a multiple of 4", dest);
    if (dest_colsb != src2_colsb) amx_fault(op, "dest and src2 differ in bytes per row", dest);
    if (src1_colsb / 4 != config->rows[src2]) amx_fault(op, "src1's pairs per row differ from src2's rows", src1);
    if (config->rows[dest] != config->rows[src1]) amx_fault(op, "dest and src1 differ in rows", dest);
    int columns = dest_colsb / 4, pairs = src1_colsb / 4;
    for (int m = 0; m < config->rows[dest]; m++) {
        float even[16] = {0}, odd[16] = {0};
        for (int k = 0; k < pairs; k++) {
            for (int n = 0; n < columns; n++) {
                even[n] = fma_daz_ftz(amx_bf16(src1, m, 2 * k), amx_bf16(src2, k, 2 * n), even[n]);
                odd[n] = fma_daz_ftz(amx_bf16(src1, m, 2 * k + 1), amx_bf16(src2, k, 2 * n + 1), odd[n]);
            }
        }
        for (int n = 0; n < columns; n++) {
            float c;
            memcpy(&c, amx_state.tile[dest][m] + 4 * n, sizeof c);
            c = add_daz_ftz(c, add_daz_ftz(even[n], odd[n]));
            memcpy(amx_state.tile[dest][m] + 4 * n, &c, sizeof c);
        }
    }
    amx_zero_outside_shape(dest);
}

#endif
