import CAVX512Kernels
import TestSupport
import Testing

/// The bf16 packed GEMMs (cvrnet_bf16.h): the AVX512_BF16 kernel (VDPBF16PS) and the AMX kernel
/// (TDPBF16PS), each in its emulated build (its instructions carried out in C as the Intel SDM
/// describes them, on every CPU) and, where the CPU has the unit, its real build.
///
/// The reference is written here: A and B rounded to bf16 by `cvrnet_bf16_round`, widened to
/// float, and summed over k. Shapes hit every edge: m not a multiple of the 14-row (AVX-512) or
/// 32-row (AMX) blocks and across their row blocks (168 and 128 rows), n not a multiple of the 32-column panels (and under 16), k odd, under
/// one 32-wide AMX step, and across the AVX512 kernel's 512-wide k blocks, lda > k, ldc > n.
struct BFloat16PackedGEMMTests {
    struct Build: CustomStringConvertible, CustomTestStringConvertible, Sendable {
        let unit: Int32
        let emulated: Bool
        var name: String { unit == Self.avx512 ? "AVX512_BF16" : "AMX" }
        var description: String { "\(name) \(emulated ? "emulated" : "real")" }
        var testDescription: String { description }
        var isAvailable: Bool { emulated || cvrnet_bf16_unit_available(unit) != 0 }

        static let avx512 = Int32(CVRNET_BF16_UNIT_AVX512), amx = Int32(CVRNET_BF16_UNIT_AMX)
        static let emulatedBuilds = [Build(unit: avx512, emulated: true), Build(unit: amx, emulated: true)]
        static let realAVX512 = Build(unit: avx512, emulated: false), realAMX = Build(unit: amx, emulated: false)
    }

    struct Shape: CustomStringConvertible, Sendable {
        let m, n, k: Int
        var lda: Int, ldc: Int
        init(m: Int, n: Int, k: Int, ldaExtra: Int = 0, ldcExtra: Int = 0) {
            self.m = m; self.n = n; self.k = k
            lda = k + ldaExtra; ldc = n + ldcExtra
        }
        var panels: Int { (n + 31) / 32 }
        var description: String { "m\(m) n\(n) k\(k) lda\(lda) ldc\(ldc)" }
    }

    static let shapes: [Shape] = [
        Shape(m: 1, n: 1, k: 1), Shape(m: 1, n: 33, k: 27, ldaExtra: 5), Shape(m: 17, n: 40, k: 147, ldcExtra: 3),
        Shape(m: 33, n: 1, k: 2), Shape(m: 49, n: 33, k: 64, ldaExtra: 1, ldcExtra: 7), Shape(m: 3, n: 64, k: 1),
        Shape(m: 29, n: 32, k: 31), Shape(m: 40, n: 17, k: 33), Shape(m: 15, n: 70, k: 1100, ldaExtra: 2),
        Shape(m: 14, n: 16, k: 96), Shape(m: 170, n: 9, k: 5, ldcExtra: 1),
    ]

    /// A problem's inputs; `residual` is C's starting contents (m x ldc) with `accumulate`.
    struct Problem {
        let shape: Shape
        let a, b, bias, residual: [Float]
        let packed: [UInt16]

        init(_ shape: Shape, seed: UInt64, integers: Bool) {
            self.shape = shape
            // Small integers (-3...3): exact in bf16, and every partial sum is an integer far
            // below 2^24, so every summation order gives the same float.
            func values(_ count: Int, _ seed: UInt64) -> [Float] {
                let v = SeededRandomFloats.values(count, seed: seed)
                return integers ? v.map { ($0 * 3).rounded() } : v
            }
            let b = values(shape.k * shape.n, seed + 1)
            a = values(shape.m * shape.lda, seed)
            self.b = b
            bias = values(shape.n, seed + 2)
            residual = values(shape.m * shape.ldc, seed + 3)
            var packed = [UInt16](repeating: 0xFFFF, count: cvrnet_bf16_packed_count(shape.k, shape.n))
            packed.withUnsafeMutableBufferPointer { cvrnet_bf16_pack_weights(b, shape.k, shape.n, $0.baseAddress!) }
            self.packed = packed
        }

        /// C (m x ldc) after the kernel ran on rows `rows` and panels `panels` of a C that held
        /// the residual (accumulate) or NaNs.
        func run(_ build: Build, rows: Range<Int>? = nil, panels: Range<Int>? = nil, accumulate: Bool, relu: Bool,
                 into c: [Float]? = nil) -> [Float] {
            var out = c ?? (accumulate ? residual : [Float](repeating: BFloat16PackedGEMMTests.untouched, count: residual.count))
            let rows = rows ?? 0..<shape.m, panels = panels ?? 0..<shape.panels
            out.withUnsafeMutableBufferPointer { c in
                cvrnet_bf16_packed_gemm(build.unit, build.emulated ? 1 : 0, rows.lowerBound, rows.upperBound,
                                        panels.lowerBound, panels.upperBound, shape.n, shape.k, a, shape.lda, packed,
                                        c.baseAddress!, shape.ldc, bias, relu ? 1 : 0, accumulate ? 1 : 0)
            }
            return out
        }

        /// Row r's A and column j's B, rounded to bf16 and widened, zero-padded to `length` (as
        /// the kernels pad k).
        func operands(_ r: Int, _ j: Int, length: Int) -> (x: [Float], y: [Float]) {
            var x = [Float](repeating: 0, count: length), y = x
            for q in 0..<shape.k {
                x[q] = widen(cvrnet_bf16_round(a[r * shape.lda + q]))
                y[q] = widen(cvrnet_bf16_round(b[q * shape.n + j]))
            }
            return (x, y)
        }
    }

    /// C's contents where the kernel must not write: a NaN with a payload, compared by bits.
    static let untouched = Float(bitPattern: 0x7FC0_1234)

    static func widen(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    static func finish(_ sum: Float, bias: Float, relu: Bool) -> Float {
        let v = sum + bias
        return relu ? (v > 0 ? v : 0) : v  // as MAXPS(v, 0): -0 and NaN give +0
    }

    /// The reference: from the residual (or zero), fused multiply-adds over k in order, + bias, ReLU.
    static func inOrder(_ p: Problem, _ r: Int, _ j: Int, accumulate: Bool, relu: Bool) -> Float {
        let (x, y) = p.operands(r, j, length: p.shape.k)
        var acc: Float = accumulate ? p.residual[r * p.shape.ldc + j] : 0
        for q in 0..<p.shape.k { acc = acc.addingProduct(x[q], y[q]) }
        return finish(acc, bias: p.bias[j], relu: relu)
    }

    /// VDPBF16PS's order (Intel SDM): the same chain as `inOrder` but per pair of k the odd
    /// element first (k padded with zeros to whole pairs).
    static func vdpbf16psOrder(_ p: Problem, _ r: Int, _ j: Int, accumulate: Bool, relu: Bool) -> Float {
        let pairs = (p.shape.k + 1) / 2
        let (x, y) = p.operands(r, j, length: 2 * pairs)
        var acc: Float = accumulate ? p.residual[r * p.shape.ldc + j] : 0
        for t in 0..<pairs {
            acc = acc.addingProduct(x[2 * t + 1], y[2 * t + 1])
            acc = acc.addingProduct(x[2 * t], y[2 * t])
        }
        return finish(acc, bias: p.bias[j], relu: relu)
    }

    /// TDPBF16PS's order (Intel SDM) in the AMX kernel: per 32 k (one instruction), the even and
    /// the odd elements of the 16 pairs summed apart from zero, then their sum added to the tile;
    /// the tile starts at zero; then + residual, + bias, ReLU.
    static func tdpbf16psOrder(_ p: Problem, _ r: Int, _ j: Int, accumulate: Bool, relu: Bool) -> Float {
        let kp = cvrnet_bf16_padded_k(p.shape.k)
        let (x, y) = p.operands(r, j, length: kp)
        var acc: Float = 0
        for step in stride(from: 0, to: kp, by: 32) {
            var even: Float = 0, odd: Float = 0
            for t in 0..<16 {
                even = even.addingProduct(x[step + 2 * t], y[step + 2 * t])
                odd = odd.addingProduct(x[step + 2 * t + 1], y[step + 2 * t + 1])
            }
            acc += even + odd
        }
        if accumulate { acc += p.residual[r * p.shape.ldc + j] }
        return finish(acc, bias: p.bias[j], relu: relu)
    }

    // MARK: - Integer-valued inputs: exact, and only the asked rows and panels written

    @Test(arguments: Build.emulatedBuilds)
    func emulatedIntegerProductsAreExact(_ build: Build) { Self.checkIntegerProducts(build) }

    @Test(.needsRealBuild(Build.realAVX512))
    func avx512IntegerProductsAreExact() { Self.checkIntegerProducts(Build.realAVX512) }

    @Test(.needsRealBuild(Build.realAMX))
    func amxIntegerProductsAreExact() { Self.checkIntegerProducts(Build.realAMX) }

    static func checkIntegerProducts(_ build: Build) {
        for (index, shape) in shapes.enumerated() {
            let p = Problem(shape, seed: UInt64(10 * index + 1), integers: true)
            for accumulate in [false, true] {
                for relu in [false, true] {
                    let out = p.run(build, accumulate: accumulate, relu: relu)
                    var wrong = 0, first = ""
                    for r in 0..<shape.m {
                        for j in 0..<shape.ldc {
                            let got = out[r * shape.ldc + j]
                            let expected = j < shape.n ? inOrder(p, r, j, accumulate: accumulate, relu: relu)
                                : (accumulate ? p.residual[r * shape.ldc + j] : untouched)
                            let ok = j < shape.n ? got == expected : got.bitPattern == expected.bitPattern
                            if !ok { wrong += 1; if first.isEmpty { first = "[\(r), \(j)]: \(got), expected \(expected)" } }
                        }
                    }
                    #expect(wrong == 0, "\(build) \(shape) accumulate \(accumulate) relu \(relu): \(wrong) wrong, first \(first)")
                }
            }
            // Sub-ranges of rows and panels: those elements written (exactly), no others.
            let ranges: [(Range<Int>, Range<Int>)] = [
                (shape.m / 3..<(shape.m + 1) / 2 + 1, 0..<1), (0..<shape.m, shape.panels - 1..<shape.panels),
                (shape.m - 1..<shape.m, 0..<shape.panels), (1..<1, 0..<shape.panels),
            ]
            for (rows, panels) in ranges where rows.upperBound <= shape.m {
                let out = p.run(build, rows: rows, panels: panels, accumulate: true, relu: true)
                var wrong = 0
                for r in 0..<shape.m {
                    for j in 0..<shape.ldc {
                        let got = out[r * shape.ldc + j]
                        if rows.contains(r) && panels.contains(j / 32) && j < shape.n {
                            if got != inOrder(p, r, j, accumulate: true, relu: true) { wrong += 1 }
                        } else if got.bitPattern != p.residual[r * shape.ldc + j].bitPattern {
                            wrong += 1
                        }
                    }
                }
                #expect(wrong == 0, "\(build) \(shape) rows \(rows) panels \(panels): \(wrong) elements wrong or written outside")
            }
        }
    }

    // MARK: - Random floats: within float32 summation error; emulated builds exactly the SDM's order

    @Test(arguments: Build.emulatedBuilds)
    func emulatedRandomProductsFollowTheInstructions(_ build: Build) { Self.checkRandomProducts(build) }

    @Test(.needsRealBuild(Build.realAVX512))
    func avx512RandomProductsAreWithinTheBound() { Self.checkRandomProducts(Build.realAVX512) }

    @Test(.needsRealBuild(Build.realAMX))
    func amxRandomProductsAreWithinTheBound() { Self.checkRandomProducts(Build.realAMX) }

    /// The error bound: the exact result is a sum of N = k + 2 terms (k products, each exact in
    /// float since bf16 significands have 8 bits; the residual or 0; the bias). Any order of N - 1
    /// float additions rounded to nearest errs by at most gamma(N - 1) * sum |terms|, with
    /// gamma(m) = m u / (1 - m u) and u = 2^-24 (Higham, Accuracy and Stability of Numerical
    /// Algorithms, 2nd ed., eq. 4.4: the bound of every summation order); ReLU does not increase
    /// it. The reference is summed in double, its error bounded likewise with u = 2^-53; and the
    /// bf16 instructions' flushing of denormals adds at most 2^-126 per addition (none arise here:
    /// |inputs| >= 1e-6). The kernels' orders differ from k in order (VDPBF16PS takes the odd
    /// element of each pair first; TDPBF16PS sums evens and odds apart), so neither is expected
    /// to equal the in-order reference's bits; the emulated builds must equal, bit for bit, a
    /// model of the SDM's order written here. The real builds are held to the bound only (a CPU
    /// may order or round within an instruction otherwise than the SDM's pseudocode).
    static func checkRandomProducts(_ build: Build) {
        for (index, shape) in shapes.enumerated() {
            let p = Problem(shape, seed: UInt64(10 * index + 5), integers: false)
            for accumulate in [false, true] {
                for relu in [false, true] {
                    let out = p.run(build, accumulate: accumulate, relu: relu)
                    var worst = 0.0, modelMismatches = 0, differFromInOrder = 0
                    for r in 0..<shape.m {
                        for j in 0..<shape.n {
                            let (x, y) = p.operands(r, j, length: shape.k)
                            let residual = accumulate ? Double(p.residual[r * shape.ldc + j]) : 0
                            var exact = residual + Double(p.bias[j]), magnitude = abs(residual) + abs(Double(p.bias[j]))
                            for q in 0..<shape.k {
                                exact += Double(x[q]) * Double(y[q])
                                magnitude += abs(Double(x[q]) * Double(y[q]))
                            }
                            if relu { exact = max(exact, 0) }
                            let terms = Double(shape.k + 2)
                            func gamma(_ m: Double, _ u: Double) -> Double { m * u / (1 - m * u) }
                            let bound = gamma(terms - 1, 0x1p-24) * magnitude + gamma(terms - 1, 0x1p-53) * magnitude
                                + terms * 0x1p-126
                            let got = out[r * shape.ldc + j]
                            let error = abs(Double(got) - exact) / bound
                            worst = max(worst, error.isNaN ? .infinity : error)
                            if got != inOrder(p, r, j, accumulate: accumulate, relu: relu) { differFromInOrder += 1 }
                            if build.emulated {
                                let model = build.unit == Build.avx512
                                    ? vdpbf16psOrder(p, r, j, accumulate: accumulate, relu: relu)
                                    : tdpbf16psOrder(p, r, j, accumulate: accumulate, relu: relu)
                                if got.bitPattern != model.bitPattern { modelMismatches += 1 }
                            }
                        }
                    }
                    let label = "\(build) \(shape) accumulate \(accumulate) relu \(relu)"
                    #expect(worst <= 1, "\(label): error \(worst) of the bound")
                    #expect(modelMismatches == 0, "\(label): \(modelMismatches) elements differ from the SDM order's bits")
                    if index == 8 && accumulate && !relu {
                        print("\(label): \(differFromInOrder) of \(shape.m * shape.n) differ from k in order; worst error \(worst) of the bound")
                    }
                }
            }
        }
    }

    // MARK: - Splitting between calls

    @Test(arguments: Build.emulatedBuilds)
    func emulatedSplittingDoesNotChangeTheResult(_ build: Build) { Self.checkSplitting(build) }

    @Test(.needsRealBuild(Build.realAVX512))
    func avx512SplittingDoesNotChangeTheResult() { Self.checkSplitting(Build.realAVX512) }

    @Test(.needsRealBuild(Build.realAMX))
    func amxSplittingDoesNotChangeTheResult() { Self.checkSplitting(Build.realAMX) }

    /// Rows and panels divided between calls (as between threads) give the same bits as one call.
    static func checkSplitting(_ build: Build) {
        for (index, shape) in shapes.enumerated() {
            let p = Problem(shape, seed: UInt64(10 * index + 7), integers: false)
            let whole = p.run(build, accumulate: true, relu: true)
            var split = p.residual
            let rowCuts = [0, shape.m / 3, shape.m / 2 + 1, shape.m].sorted(), panelCuts = [0, shape.panels / 2, shape.panels]
            for (r0, r1) in zip(rowCuts, rowCuts.dropFirst()) {
                for (p0, p1) in zip(panelCuts, panelCuts.dropFirst()) {
                    split = p.run(build, rows: r0..<r1, panels: p0..<p1, accumulate: true, relu: true, into: split)
                }
            }
            #expect(whole.map(\.bitPattern) == split.map(\.bitPattern), "\(build) \(shape)")
            var byRow = p.residual
            for r in 0..<shape.m { byRow = p.run(build, rows: r..<r + 1, accumulate: true, relu: true, into: byRow) }
            #expect(whole.map(\.bitPattern) == byRow.map(\.bitPattern), "\(build) \(shape), row by row")
        }
    }

    // MARK: - Rounding and packing

    /// Round to nearest, ties to even, on hand-derived cases: bf16 keeps a float's upper 16 bits.
    @Test func roundingToBFloat16() {
        let cases: [(UInt32, UInt16, String)] = [
            (0x3F80_0000, 0x3F80, "1"),
            (0x3F80_8000, 0x3F80, "1 + 2^-8, halfway: down to the even 0x3F80"),
            (0x3F81_8000, 0x3F82, "1 + 3 * 2^-8, halfway: up to the even 0x3F82"),
            (0x3F80_8001, 0x3F81, "just above halfway: up"),
            (0x3F81_7FFF, 0x3F81, "just below halfway: down"),
            (0xBF80_8000, 0xBF80, "-(1 + 2^-8): ties to even keeps the sign"),
            (0xBF81_8000, 0xBF82, "-(1 + 3 * 2^-8)"),
            (0x0000_0000, 0x0000, "+0"),
            (0x8000_0000, 0x8000, "-0"),
            (0x0001_8000, 0x0002, "a denormal, halfway: up to even"),
            (0x7F7F_FFFF, 0x7F80, "the largest float rounds to infinity"),
            (0x7F7F_7FFF, 0x7F7F, "just below halfway to infinity: the largest bf16"),
            (0xFF7F_FFFF, 0xFF80, "the most negative float rounds to -infinity"),
            (0x7F80_0000, 0x7F80, "+infinity"),
            (0xFF80_0000, 0xFF80, "-infinity"),
            (0x7FC0_0000, 0x7FC0, "quiet NaN"),
            (0xFFC0_0000, 0xFFC0, "negative quiet NaN"),
        ]
        for (input, expected, what) in cases {
            let got = cvrnet_bf16_round(Float(bitPattern: input))
            #expect(got == expected, "\(what): 0x\(String(input, radix: 16)) gave 0x\(String(got, radix: 16))")
        }
        // A NaN whose payload is only in the low 16 bits would truncate to infinity: it stays NaN.
        for input: UInt32 in [0x7F80_0001, 0xFF80_FFFF, 0x7FBF_FFFF] {
            #expect(Self.widen(cvrnet_bf16_round(Float(bitPattern: input))).isNaN, "0x\(String(input, radix: 16))")
        }
    }

    /// The packed layout (cvrnet_bf16.h): panel p at p * padded_k * 32; pair-row j of column col at
    /// (j * 32 + col) * 2 + (row & 1); zeros past k and n.
    @Test func packedLayout() {
        #expect(cvrnet_bf16_padded_k(1) == 32 && cvrnet_bf16_padded_k(32) == 32 && cvrnet_bf16_padded_k(33) == 64)
        #expect(cvrnet_bf16_packed_count(3, 33) == 32 * 64)
        let k = 3, n = 33
        // b[row][col] = 100 row + col: integers below 256, exact in bf16.
        let b = (0..<k * n).map { Float(100 * ($0 / n) + $0 % n) }
        var packed = [UInt16](repeating: 0xFFFF, count: cvrnet_bf16_packed_count(k, n))
        packed.withUnsafeMutableBufferPointer { cvrnet_bf16_pack_weights(b, k, n, $0.baseAddress!) }
        let value = { (index: Int) in Self.widen(packed[index]) }
        #expect(value(10) == 5, "row 0, column 5")
        #expect(value(11) == 105, "row 1, column 5: the odd half of pair-row 0")
        #expect(value((32 + 5) * 2) == 205, "row 2, column 5: pair-row 1")
        #expect(packed[(32 + 5) * 2 + 1] == 0, "row 3 is past k")
        #expect(value(32 * 32 + 1) == 132, "row 1, column 32: the second panel starts at padded_k * 32")
        #expect(packed[32 * 32 + 2] == 0 && packed[32 * 32 + 3] == 0, "column 33 is past n")
        #expect(packed[(31 * 32 + 31) * 2 + 1] == 0, "the last pair-row of the first panel is padding")
    }
}

extension Trait where Self == ConditionTrait {
    /// A real (not emulated) bf16 build: skipped, saying so, where the CPU lacks its unit (its
    /// emulated build is tested everywhere).
    static func needsRealBuild(_ build: BFloat16PackedGEMMTests.Build) -> Self {
        let why = build.unit == BFloat16PackedGEMMTests.Build.amx
            ? "this CPU has no AMX-BF16 (or the OS refused the tile state)" : "this CPU has no AVX512_BF16"
        return .enabled(if: build.isAvailable, "\(why): only the emulated \(build.name) build is tested")
    }
}
