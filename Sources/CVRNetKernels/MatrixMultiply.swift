import COpenBLAS

/// `C = A B (+ C)` for row-major float matrices, on single-threaded OpenBLAS.
///
/// cvrnet parallelises GEMMs itself: a large product is split into two halves along its longer
/// output side, and the halves run on two cores (or one after the other when the
/// `ComputeContext` has one thread). The split depends only on the shape, so every way of running a
/// model performs the very same OpenBLAS calls and gives bit-identical results; letting
/// OpenBLAS thread the calls would change its blocking, and the last bits, with the thread count.
public enum MatrixMultiply {
    /// Products below this many multiply-adds run as one call.
    static let splitThreshold = 1 << 21

    /// Makes OpenBLAS single-threaded (cvrnet's own threads drive it). Process-wide.
    public static func configureOpenBLAS() {
        _ = configured
    }

    private static let configured: Bool = {
        OpenBLASCore.prepare()
        openblas_set_num_threads(1)
        return true
    }()

    /// - Parameters:
    ///   - a: `m x k`, leading dimension `lda`.
    ///   - b: `k x n`, leading dimension `ldb`.
    ///   - c: `m x n`, leading dimension `ldc`; with `accumulate` the product is added to it.
    public static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                                accumulate: Bool, context: ComputeContext) {
        OpenBLASCore.prepare()
        func call(_ rows: Range<Int>, _ cols: Range<Int>) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                        blasint(rows.count), blasint(cols.count), blasint(k), 1,
                        a + rows.lowerBound * lda, blasint(lda), b + cols.lowerBound, blasint(ldb),
                        accumulate ? 1 : 0, c + rows.lowerBound * ldc + cols.lowerBound, blasint(ldc))
        }
        splitInHalves(m: m, n: n, k: k, context: context, call)
    }

    /// `C = A B` in double (`cblas_dgemm`), split like the float product; for
    /// `DoubleAccumulation` only.
    static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int,
                         b: UnsafePointer<Double>, ldb: Int, c: UnsafeMutablePointer<Double>, ldc: Int,
                         context: ComputeContext) {
        OpenBLASCore.prepare()
        func call(_ rows: Range<Int>, _ cols: Range<Int>) {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                        blasint(rows.count), blasint(cols.count), blasint(k), 1,
                        a + rows.lowerBound * lda, blasint(lda), b + cols.lowerBound, blasint(ldb),
                        0, c + rows.lowerBound * ldc + cols.lowerBound, blasint(ldc))
        }
        splitInHalves(m: m, n: n, k: k, context: context, call)
    }

    /// Runs `call(rows, columns)` on the whole `m x n` product, or on two halves of its longer
    /// side on two threads when it is large. The split depends only on the shape, so every way
    /// of running a model makes the same BLAS calls. Halves are rounded to a multiple of 16
    /// (OpenBLAS's register tile edge on AVX-512).
    private static func splitInHalves(m: Int, n: Int, k: Int, context: ComputeContext,
                                      _ call: (Range<Int>, Range<Int>) -> Void) {
        if m * n * k < splitThreshold || (m < 32 && n < 32) {
            call(0..<m, 0..<n)
            return
        }
        if m >= n {
            let half = min(m, ((m / 2) + 15) / 16 * 16)
            context.parallelChunks(2) { parts in for p in parts { call(p == 0 ? 0..<half : half..<m, 0..<n) } }
        } else {
            let half = min(n, ((n / 2) + 15) / 16 * 16)
            context.parallelChunks(2) { parts in for p in parts { call(0..<m, p == 0 ? 0..<half : half..<n) } }
        }
    }
}
