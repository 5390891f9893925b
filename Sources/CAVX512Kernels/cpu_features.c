#include "CAVX512Kernels.h"

int cvrnet_avx512_available(void) {
#if defined(__x86_64__)
    // compiler-rt's check includes the OS's XSAVE support for the AVX-512 register state.
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
#else
    return 0;
#endif
}

int cvrnet_avx2_available(void) {
#if defined(__x86_64__)
    // As above, compiler-rt's checks include the OS's support for the AVX register state.
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
#else
    return 0;
#endif
}

#if defined(__x86_64__)
#include <cpuid.h>

static unsigned long long read_xcr0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}
#endif

unsigned int cvrnet_cpu_features(void) {
#if defined(__x86_64__)
    unsigned int features = 0;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) features |= CVRNET_CPU_AVX2;
    if (__builtin_cpu_supports("fma")) features |= CVRNET_CPU_FMA;
    if (__builtin_cpu_supports("avx512f")) features |= CVRNET_CPU_AVX512F;
    if (__builtin_cpu_supports("avx512bw")) features |= CVRNET_CPU_AVX512BW;
    if (__builtin_cpu_supports("avx512vl")) features |= CVRNET_CPU_AVX512VL;
    // The newer bits straight from CPUID (leaf 7), gated on the OS saving the register state
    // (XCR0: bits 5-7 for AVX-512, 17-18 for the AMX tiles), as the AVX-512F check above is.
    unsigned int eax, ebx, ecx, edx;
    unsigned int max_leaf = __get_cpuid_max(0, 0);
    if (max_leaf >= 7 && (features & CVRNET_CPU_AVX512F)) {
        unsigned long long xcr0 = read_xcr0();
        __cpuid_count(7, 0, eax, ebx, ecx, edx);
        unsigned int leaf7_edx = edx, leaf7_max_subleaf = eax;
        if (leaf7_edx & (1u << 23)) features |= CVRNET_CPU_AVX512FP16;
        if ((xcr0 & 0x60000ull) == 0x60000ull) {
            if (leaf7_edx & (1u << 24)) features |= CVRNET_CPU_AMX_TILE;
            if (leaf7_edx & (1u << 22)) features |= CVRNET_CPU_AMX_BF16;
            if (leaf7_edx & (1u << 25)) features |= CVRNET_CPU_AMX_INT8;
        }
        if (leaf7_max_subleaf >= 1) {
            __cpuid_count(7, 1, eax, ebx, ecx, edx);
            if (eax & (1u << 5)) features |= CVRNET_CPU_AVX512BF16;
        }
    }
    return features;
#else
    return 0;
#endif
}
