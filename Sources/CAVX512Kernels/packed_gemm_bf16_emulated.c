// The AVX512_BF16 and AMX bf16 GEMMs with their instructions carried out in C
// (bf16_instructions_emulated.h): the same kernel bodies as packed_gemm_bf16.c, on any CPU.
// cvrnet_bf16_packed_gemm(unit, 1, ...) runs these: tests check the kernels' packing, blocking,
// tile shapes and epilogue where the CPU has neither unit.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bf16_instructions_emulated.h"
#include "packed_gemm_bf16_kernels.h"
#include "thread_block.h"

#define BF16_KERNEL(unit) cvrnet_bf16_##unit##_gemm_emulated
#include "packed_gemm_bf16_avx512_body.h"
#include "packed_gemm_bf16_amx_body.h"
