import CAVX512Kernels

/// `C = act(A B + bias (+ C))` with `B` in the packed layout of cvrnet's GEMM for one instruction
/// set (see `Convolution2D.packForInference`), the epilogue applied while each tile is in registers.
///
/// Unlike `MatrixMultiply`, nothing about `B` is repacked per call, and each output element's
/// arithmetic depends only on `k`: however the rows or column panels are divided between the
/// cores, the results are bit-identical. The AVX-512 and the AVX2 kernel run the same chain of
/// fused multiply-adds per element, but their packed layouts differ (panels of 32 and 16
/// columns): weights are packed for one of them.
enum PackedMatrixMultiply {
    /// Products below this many multiply-adds run on one core.
    static let splitThreshold = 1 << 21

    typealias GEMM = @convention(c) (Int, Int, Int, Int, Int, Int, UnsafePointer<Float>?, Int, UnsafePointer<Float>?,
                                     UnsafeMutablePointer<Float>?, Int, UnsafePointer<Float>?, Int32, Int32) -> Void

    /// One instruction set's GEMM: its packing, panel width and tile height.
    struct Kernel {
        /// `(row_begin, row_end, panel_begin, panel_end, n, k, a, lda, packed, c, ldc, bias, relu, accumulate)`.
        let gemm: GEMM
        let pack: @convention(c) (UnsafePointer<Float>?, Int, Int, UnsafeMutablePointer<Float>?) -> Void
        /// Columns per panel of packed weights.
        let panelWidth: Int
        /// Rows of the micro-kernel's tile.
        let tileRows: Int

        func panels(_ n: Int) -> Int { (n + panelWidth - 1) / panelWidth }
    }

    static func kernel(_ instructionSet: InstructionSet) -> Kernel {
        switch instructionSet {
        case .avx512:
            Kernel(gemm: cvrnet_packed_gemm, pack: cvrnet_pack_gemm_weights,
                   panelWidth: Int(CVRNET_GEMM_PANEL_WIDTH), tileRows: 14)
        case .avx2:
            Kernel(gemm: cvrnet_avx2_packed_gemm, pack: cvrnet_avx2_pack_gemm_weights,
                   panelWidth: Int(CVRNET_GEMM_AVX2_PANEL_WIDTH), tileRows: Int(CVRNET_GEMM_AVX2_TILE_ROWS))
        case .portable:
            preconditionFailure("the portable path has no packed GEMM")
        }
    }

    /// Packs the row-major `k x n` matrix in `b` in place (it keeps its size) for `instructionSet`'s GEMM.
    static func pack(_ b: UnsafeMutablePointer<Float>, k: Int, n: Int, for instructionSet: InstructionSet) {
        precondition(instructionSet.isRunnable)
        let copy = [Float](UnsafeBufferPointer(start: b, count: k * n))
        copy.withUnsafeBufferPointer { kernel(instructionSet).pack($0.baseAddress!, k, n, b) }
    }

    static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                         packed: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
                         bias: UnsafePointer<Float>, activation: Activation, accumulate: Bool,
                         instructionSet: InstructionSet, context: ComputeContext) {
        let kernel = kernel(instructionSet)
        let relu: Int32 = activation == .relu ? 1 : 0
        split(m: m, n: n, k: k, panels: kernel.panels(n), tileRows: kernel.tileRows, context: context) { rows, cols in
            kernel.gemm(rows.lowerBound, rows.upperBound, cols.lowerBound, cols.upperBound, n, k,
                        a, lda, packed, c, ldc, bias, relu, accumulate ? 1 : 0)
        }
    }

    /// Runs an `m x n x k` product of a packed GEMM (`panels` column panels, tiles of `tileRows`
    /// rows) as `call(rows, panels)`: whole below `splitThreshold`, else in two parts, one per
    /// core. The packed GEMMs compute every element the same whatever the part, so the split
    /// never changes the results.
    static func split(m: Int, n: Int, k: Int, panels: Int, tileRows tile: Int, context: ComputeContext,
                      _ call: (_ rows: Range<Int>, _ panels: Range<Int>) -> Void) {
        if m * n * k < splitThreshold {
            call(0..<m, 0..<panels)
            return
        }
        // Two parts, one per core: by rows when there are enough rows for both and at least as
        // many rows as columns, else by column panels. Each core streams all of B for a row half
        // but only its half of B for a panel half, and B (the weights) is the larger operand when
        // n > m: CVR-Net's 14x14 and 7x7 layers (Xception's middle and exit flows, ResNet50's
        // stages 4 and 5, m = 196 or 49 against n = 256 to 2048). Splitting those by panels
        // measured 3-30% faster per layer on a 2-core AMD EPYC (AVX2; same bits either way).
        // Row halves are multiples of the micro-kernel's tile height.
        if (m >= 4 * tile && m >= n) || panels < 2 {
            let half = min(m, ((m / 2) + tile - 1) / tile * tile)
            context.parallelChunks(2) { parts in for p in parts { call(p == 0 ? 0..<half : half..<m, 0..<panels) } }
        } else {
            let half = panels / 2
            context.parallelChunks(2) { parts in for p in parts { call(0..<m, p == 0 ? 0..<half : half..<panels) } }
        }
    }
}
