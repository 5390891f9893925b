import CAVX512Kernels

/// `C = act(A B + bias (+ C))` with `B` in the AVX-512 kernel's packed layout (see
/// `Convolution2D.packForInference`), the epilogue applied while each tile is in registers.
///
/// Unlike `MatrixMultiply`, nothing about `B` is repacked per call, and each output element's
/// arithmetic depends only on `k`: however the rows or column panels are divided between the
/// cores, the results are bit-identical.
enum PackedMatrixMultiply {
    /// Products below this many multiply-adds run on one core.
    static let splitThreshold = 1 << 21

    /// Packs the row-major `k x n` matrix in `b` in place (it keeps its size).
    static func pack(_ b: UnsafeMutablePointer<Float>, k: Int, n: Int) {
        precondition(AVX512.isAvailable)
        let copy = [Float](UnsafeBufferPointer(start: b, count: k * n))
        copy.withUnsafeBufferPointer { cvrnet_pack_gemm_weights($0.baseAddress!, k, n, b) }
    }

    static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                         packed: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
                         bias: UnsafePointer<Float>, activation: Activation, accumulate: Bool,
                         context: ComputeContext) {
        let panelWidth = Int(CVRNET_GEMM_PANEL_WIDTH)
        let panels = (n + panelWidth - 1) / panelWidth
        let relu: Int32 = activation == .relu ? 1 : 0
        func call(_ rows: Range<Int>, _ cols: Range<Int>) {
            cvrnet_packed_gemm(rows.lowerBound, rows.upperBound, cols.lowerBound, cols.upperBound, n, k,
                               a, lda, packed, c, ldc, bias, relu, accumulate ? 1 : 0)
        }
        if m * n * k < splitThreshold {
            call(0..<m, 0..<panels)
            return
        }
        // Two parts, one per core: by rows when there are enough for both, else by panels.
        // Row halves are multiples of 14, the micro-kernel's tile height.
        if m >= 4 * 14 || panels < 2 {
            let half = min(m, ((m / 2) + 13) / 14 * 14)
            context.parallelChunks(2) { parts in for p in parts { call(p == 0 ? 0..<half : half..<m, 0..<panels) } }
        } else {
            let half = panels / 2
            context.parallelChunks(2) { parts in for p in parts { call(0..<m, p == 0 ? 0..<half : half..<panels) } }
        }
    }
}
