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
