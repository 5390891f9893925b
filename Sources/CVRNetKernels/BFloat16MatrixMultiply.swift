import CAVX512Kernels

/// `C = act(A B + bias (+ C))` with `B` packed as bfloat16 (`cvrnet_bf16_pack_weights`) and `A`
/// (float32) rounded to bfloat16 as the kernel reads it, products summed in float32: the GEMM of
/// `Precision.bfloat16`, on AMX tiles or AVX512_BF16 (`BFloat16Kernel`). Split between the cores
/// like `PackedMatrixMultiply`, with the same guarantee: every element's arithmetic depends on
/// `k` only, never on the split.
enum BFloat16MatrixMultiply {
    /// Rows of the kernels' tiles: AMX multiplies 16-row tiles (two per block), AVX512_BF16 tiles
    /// are 14 rows like the float32 AVX-512 GEMM's; row halves of a split are multiples of 32.
    static let tileRows = 32

    /// uint16 values of the packed weights of a `k x n` matrix (zero-padded; see cvrnet_bf16.h).
    static func packedCount(k: Int, n: Int) -> Int { cvrnet_bf16_packed_count(k, n) }

    /// Packs the row-major `k x n` float matrix `b` as bfloat16 into `packed` (`packedCount` values).
    static func pack(_ b: UnsafePointer<Float>, k: Int, n: Int, into packed: UnsafeMutablePointer<UInt16>) {
        cvrnet_bf16_pack_weights(b, k, n, packed)
    }

    static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                         packed: UnsafePointer<UInt16>, c: UnsafeMutablePointer<Float>, ldc: Int,
                         bias: UnsafePointer<Float>, activation: Activation, accumulate: Bool,
                         kernel: BFloat16Kernel, context: ComputeContext) {
        guard let (unit, emulated) = kernel.unit else { preconditionFailure("\(kernel) has no bf16 GEMM") }
        let panels = (n + Int(CVRNET_BF16_PANEL_WIDTH) - 1) / Int(CVRNET_BF16_PANEL_WIDTH)
        let relu: Int32 = activation == .relu ? 1 : 0
        PackedMatrixMultiply.split(m: m, n: n, k: k, panels: panels, tileRows: tileRows, context: context) { rows, cols in
            cvrnet_bf16_packed_gemm(unit, emulated, rows.lowerBound, rows.upperBound, cols.lowerBound, cols.upperBound,
                                    n, k, a, lda, packed, c, ldc, bias, relu, accumulate ? 1 : 0)
        }
    }
}
