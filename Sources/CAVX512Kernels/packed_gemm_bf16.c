// The bf16 GEMMs with the real instructions: the AVX512_BF16 kernel
// (packed_gemm_bf16_avx512_body.h) and the AMX kernel (packed_gemm_bf16_amx_body.h), built over
// bf16_instructions_native.h. packed_gemm_bf16_emulated.c builds the same bodies with the
// instructions emulated; cvrnet_bf16_packed_gemm picks one of the four builds.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "CAVX512Kernels.h"
#include "packed_gemm_bf16_kernels.h"
#include "thread_block.h"

#if defined(__x86_64__)
#include "amx_tile_config.h"
#include "bf16_instructions_native.h"

#define BF16_KERNEL(unit) cvrnet_bf16_##unit##_gemm_native
#include "packed_gemm_bf16_avx512_body.h"
#include "packed_gemm_bf16_amx_body.h"

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
// Linux keeps the AMX tile data out of a process's saved state until the process asks for it
// (arch/x86/include/uapi/asm/prctl.h, Documentation/arch/x86/xstate.rst); a tile instruction
// before that faults. The permission is for the whole process, asked once.
#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18
#endif

static int avx512_bf16_usable, amx_usable;
static pthread_once_t units_once = PTHREAD_ONCE_INIT;

static void find_units(void) {
    unsigned int features = cvrnet_cpu_features();
    avx512_bf16_usable = (features & CVRNET_CPU_AVX512F) && (features & CVRNET_CPU_AVX512BF16);
    // The AMX kernel's epilogue is compiled for AVX-512 too (every AMX CPU has it).
    // cvrnet_cpu_features() already requires the OS to enable the tile state in XCR0.
    unsigned int amx = CVRNET_CPU_AVX512F | CVRNET_CPU_AMX_TILE | CVRNET_CPU_AMX_BF16;
    amx_usable = (features & amx) == amx;
#if defined(__linux__)
    if (amx_usable) amx_usable = syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
#endif
}

int cvrnet_bf16_unit_available(int unit) {
    pthread_once(&units_once, find_units);
    switch (unit) {
    case CVRNET_BF16_UNIT_AVX512: return avx512_bf16_usable;
    case CVRNET_BF16_UNIT_AMX: return amx_usable;
    default: return 0;
    }
}

#else  // Not x86-64: neither unit exists; the emulated builds still run.

int cvrnet_bf16_unit_available(int unit) {
    (void)unit;
    return 0;
}

void cvrnet_bf16_avx512_gemm_native(BF16_KERNEL_ARGS) { abort(); }
void cvrnet_bf16_amx_gemm_native(BF16_KERNEL_ARGS) { abort(); }

#endif

void cvrnet_bf16_packed_gemm(int unit, int emulated, ptrdiff_t row_begin, ptrdiff_t row_end,
                             ptrdiff_t panel_begin, ptrdiff_t panel_end, ptrdiff_t n, ptrdiff_t k,
                             const float *a, ptrdiff_t lda, const uint16_t *packed, float *c, ptrdiff_t ldc,
                             const float *bias, int relu, int accumulate) {
    void (*kernel)(BF16_KERNEL_ARGS);
    switch (unit) {
    case CVRNET_BF16_UNIT_AVX512:
        kernel = emulated ? cvrnet_bf16_avx512_gemm_emulated : cvrnet_bf16_avx512_gemm_native;
        break;
    case CVRNET_BF16_UNIT_AMX:
        kernel = emulated ? cvrnet_bf16_amx_gemm_emulated : cvrnet_bf16_amx_gemm_native;
        break;
    default:
        fprintf(stderr, "cvrnet: cvrnet_bf16_packed_gemm: unknown unit %d\n", unit);
        abort();
    }
    // A clear message rather than an illegal-instruction signal (a caller's bug: the unit is
    // checked once per call, against the cached answer).
    if (!emulated && !cvrnet_bf16_unit_available(unit)) {
        fprintf(stderr, "cvrnet: cvrnet_bf16_packed_gemm: bf16 unit %d is not available on this CPU\n", unit);
        abort();
    }
    kernel(row_begin, row_end, panel_begin, panel_end, n, k, a, lda, packed, c, ldc, bias, relu, accumulate);
}
