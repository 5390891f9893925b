import CAVX512Kernels
@testable import CVRNetKernels
import TestSupport
import Testing

/// The AVX-512 packed-weight GEMM against a double-precision reference, on shapes that hit every
/// tile edge: rows not a multiple of the 14-row tile, panels narrower than 32 and than 16
/// columns, k across the 256-wide k blocks, leading dimensions that take the packed-A path
/// (multiples of 1024) and the in-place one; with and without residual and ReLU.
struct PackedMatrixMultiplyTests {
    struct Case: CustomStringConvertible, Sendable {
        let m, n, k: Int
        var lda: Int { k }
        var description: String { "m\(m) n\(n) k\(k)" }
    }

    static let cases: [Case] = [
        Case(m: 1, n: 1, k: 1), Case(m: 13, n: 24, k: 7), Case(m: 15, n: 33, k: 300), Case(m: 29, n: 64, k: 257),
        Case(m: 49, n: 728, k: 1024), Case(m: 200, n: 40, k: 513), Case(m: 3, n: 2048, k: 64), Case(m: 170, n: 16, k: 2048),
        Case(m: 20, n: 31, k: 40), Case(m: 14, n: 47, k: 16),
    ]

    @Test(.needsAVX512Kernels, arguments: cases)
    func matchesDoublePrecisionReference(_ c: Case) {
        let a = SeededRandomFloats.values(c.m * c.k, seed: 1), b = SeededRandomFloats.values(c.k * c.n, seed: 2)
        let bias = SeededRandomFloats.values(c.n, seed: 3), residual = SeededRandomFloats.values(c.m * c.n, seed: 4)
        var packed = b
        packed.withUnsafeMutableBufferPointer { PackedMatrixMultiply.pack($0.baseAddress!, k: c.k, n: c.n) }
        for accumulate in [false, true] {
            for activation in [Activation.identity, .relu] {
                var out = accumulate ? residual : [Float](repeating: .nan, count: c.m * c.n)
                PackedMatrixMultiply.multiply(m: c.m, n: c.n, k: c.k, a: a, lda: c.lda, packed: packed, c: &out, ldc: c.n,
                                              bias: bias, activation: activation, accumulate: accumulate, context: .allCores)
                var worst = 0.0
                for r in 0..<c.m {
                    for j in 0..<c.n {
                        var sum = 0.0, magnitude = 0.0
                        for i in 0..<c.k {
                            let p = Double(a[r * c.k + i]) * Double(b[i * c.n + j])
                            sum += p
                            magnitude += abs(p)
                        }
                        sum += Double(bias[j]) + (accumulate ? Double(residual[r * c.n + j]) : 0)
                        if activation == .relu { sum = max(sum, 0) }
                        // Float rounding of k products: well inside 1e-6 of their magnitudes.
                        let error = abs(Double(out[r * c.n + j]) - sum) / (1e-6 * (magnitude + 1))
                        worst = max(worst, error.isNaN ? .infinity : error)
                    }
                }
                #expect(worst <= 1, "\(c) accumulate \(accumulate) \(activation): error \(worst) of the bound")
            }
        }
    }

    /// Any division of rows and panels between threads gives the same bits.
    @Test(.needsAVX512Kernels, arguments: cases)
    func splittingDoesNotChangeTheResult(_ c: Case) {
        let a = SeededRandomFloats.values(c.m * c.k, seed: 5), bias = SeededRandomFloats.values(c.n, seed: 6)
        var packed = SeededRandomFloats.values(c.k * c.n, seed: 7)
        packed.withUnsafeMutableBufferPointer { PackedMatrixMultiply.pack($0.baseAddress!, k: c.k, n: c.n) }
        let panels = (c.n + 31) / 32
        func run(_ rowCuts: [Int], _ panelCuts: [Int]) -> [Float] {
            var out = [Float](repeating: 0, count: c.m * c.n)
            for (r0, r1) in zip(rowCuts, rowCuts.dropFirst()) {
                for (p0, p1) in zip(panelCuts, panelCuts.dropFirst()) {
                    cvrnet_packed_gemm(r0, r1, p0, p1, c.n, c.k, a, c.lda, packed, &out, c.n, bias, 1, 0)
                }
            }
            return out
        }
        let whole = run([0, c.m], [0, panels])
        let split = run([0, c.m / 3, c.m / 2 + 1, c.m].sorted(), [0, panels / 2, panels])
        #expect(whole.map(\.bitPattern) == split.map(\.bitPattern), "\(c)")
    }
}
