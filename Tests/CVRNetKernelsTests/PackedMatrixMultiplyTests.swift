@testable import CVRNetKernels
import TestSupport
import Testing

/// The packed-weight GEMMs (AVX-512 and AVX2) against a double-precision reference, on shapes
/// that hit every tile edge: rows not a multiple of the 14-row (AVX-512) or 6-row (AVX2) tile,
/// last panels of every width class (AVX-512: 32, 17-31, 16, 1-15; AVX2: 16, 9-15, 8, 1-7),
/// k across the 256-wide k blocks, leading dimensions that take the packed-A path (multiples
/// of 1024) and the in-place one; with and without residual and ReLU.
struct PackedMatrixMultiplyTests {
    struct Case: CustomStringConvertible, Sendable {
        let m, n, k: Int
        var lda: Int { k }
        var description: String { "m\(m) n\(n) k\(k)" }
    }

    static let cases: [Case] = [
        Case(m: 1, n: 1, k: 1), Case(m: 13, n: 24, k: 7), Case(m: 15, n: 33, k: 300), Case(m: 29, n: 64, k: 257),
        Case(m: 49, n: 728, k: 1024), Case(m: 200, n: 40, k: 513), Case(m: 3, n: 2048, k: 64), Case(m: 170, n: 16, k: 2048),
        Case(m: 20, n: 31, k: 40), Case(m: 14, n: 47, k: 16), Case(m: 7, n: 5, k: 9), Case(m: 25, n: 12, k: 1024),
        Case(m: 6, n: 8, k: 3), Case(m: 61, n: 56, k: 2048),
    ]

    @Test(.needsAVX512Kernels, arguments: cases)
    func avx512MatchesDoublePrecisionReference(_ c: Case) { Self.checkAgainstReference(c, .avx512) }

    @Test(.needsAVX2Kernels, arguments: cases)
    func avx2MatchesDoublePrecisionReference(_ c: Case) { Self.checkAgainstReference(c, .avx2) }

    static func checkAgainstReference(_ c: Case, _ instructionSet: InstructionSet) {
        let a = SeededRandomFloats.values(c.m * c.k, seed: 1), b = SeededRandomFloats.values(c.k * c.n, seed: 2)
        let bias = SeededRandomFloats.values(c.n, seed: 3), residual = SeededRandomFloats.values(c.m * c.n, seed: 4)
        var packed = b
        packed.withUnsafeMutableBufferPointer { PackedMatrixMultiply.pack($0.baseAddress!, k: c.k, n: c.n, for: instructionSet) }
        for accumulate in [false, true] {
            for activation in [Activation.identity, .relu] {
                var out = accumulate ? residual : [Float](repeating: .nan, count: c.m * c.n)
                PackedMatrixMultiply.multiply(m: c.m, n: c.n, k: c.k, a: a, lda: c.lda, packed: packed, c: &out, ldc: c.n,
                                              bias: bias, activation: activation, accumulate: accumulate,
                                              instructionSet: instructionSet, context: .allCores)
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
                #expect(worst <= 1, "\(instructionSet) \(c) accumulate \(accumulate) \(activation): error \(worst) of the bound")
            }
        }
    }

    /// Any division of rows and panels between threads gives the same bits.
    @Test(.needsAVX512Kernels, arguments: cases)
    func avx512SplittingDoesNotChangeTheResult(_ c: Case) { Self.checkSplitting(c, .avx512) }

    @Test(.needsAVX2Kernels, arguments: cases)
    func avx2SplittingDoesNotChangeTheResult(_ c: Case) { Self.checkSplitting(c, .avx2) }

    static func run(_ c: Case, _ instructionSet: InstructionSet, rowCuts: [Int], panelCuts: [Int]? = nil,
                    a: [Float], packed: [Float], bias: [Float], relu: Bool = true) -> [Float] {
        let kernel = PackedMatrixMultiply.kernel(instructionSet)
        var out = [Float](repeating: 0, count: c.m * c.n)
        let panelCuts = panelCuts ?? [0, kernel.panels(c.n)]
        for (r0, r1) in zip(rowCuts, rowCuts.dropFirst()) {
            for (p0, p1) in zip(panelCuts, panelCuts.dropFirst()) {
                kernel.gemm(r0, r1, p0, p1, c.n, c.k, a, c.lda, packed, &out, c.n, bias, relu ? 1 : 0, 0)
            }
        }
        return out
    }

    static func checkSplitting(_ c: Case, _ instructionSet: InstructionSet) {
        let a = SeededRandomFloats.values(c.m * c.k, seed: 5), bias = SeededRandomFloats.values(c.n, seed: 6)
        var packed = SeededRandomFloats.values(c.k * c.n, seed: 7)
        packed.withUnsafeMutableBufferPointer { PackedMatrixMultiply.pack($0.baseAddress!, k: c.k, n: c.n, for: instructionSet) }
        let panels = PackedMatrixMultiply.kernel(instructionSet).panels(c.n)
        let whole = run(c, instructionSet, rowCuts: [0, c.m], a: a, packed: packed, bias: bias)
        let split = run(c, instructionSet, rowCuts: [0, c.m / 3, c.m / 2 + 1, c.m].sorted(), panelCuts: [0, panels / 2, panels],
                        a: a, packed: packed, bias: bias)
        #expect(whole.map(\.bitPattern) == split.map(\.bitPattern), "\(instructionSet) \(c)")
        // One row at a time: every row a ragged tile.
        let rows = run(c, instructionSet, rowCuts: Array(0...c.m), a: a, packed: packed, bias: bias)
        #expect(whole.map(\.bitPattern) == rows.map(\.bitPattern), "\(instructionSet) \(c), row by row")
    }

    /// Both kernels compute each element by the same chain of fused multiply-adds (from zero or
    /// the residual, in k order, then the bias, then ReLU): the same bits, so results on AVX-512
    /// and AVX2 CPUs agree exactly. Runs where both sets do (AVX-512 CPUs).
    @Test(.needsAVX512Kernels, arguments: cases)
    func avx2AndAVX512GiveTheSameBits(_ c: Case) {
        let a = SeededRandomFloats.values(c.m * c.k, seed: 8), bias = SeededRandomFloats.values(c.n, seed: 9)
        let b = SeededRandomFloats.values(c.k * c.n, seed: 10)
        var results: [[UInt32]] = []
        for instructionSet in [InstructionSet.avx512, .avx2] {
            var packed = b
            packed.withUnsafeMutableBufferPointer { PackedMatrixMultiply.pack($0.baseAddress!, k: c.k, n: c.n, for: instructionSet) }
            results.append(Self.run(c, instructionSet, rowCuts: [0, c.m], a: a, packed: packed, bias: bias).map(\.bitPattern))
        }
        #expect(results[0] == results[1], "\(c)")
    }
}
