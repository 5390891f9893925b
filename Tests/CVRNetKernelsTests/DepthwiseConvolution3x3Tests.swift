@testable import CVRNetKernels
import TestSupport
import Testing

/// The AVX-512 and AVX2 depthwise kernels against the portable Swift one: same sums in the same
/// order, so the outputs must be bit-identical (not just close). Each is skipped on CPUs without it.
struct DepthwiseConvolution3x3Tests {
    typealias Rng = SeededRandomFloats

    /// (H, W, C): channel tails of 8 (728), 1 and none; single rows and columns; both loop orders
    /// (up to 16 wide and wider) with every leftover after the 8- and 4-pixel groups.
    static let shapes: [(h: Int, w: Int, c: Int)] = [
        (5, 7, 16), (6, 5, 24), (14, 14, 728), (3, 3, 8), (1, 1, 17), (109, 109, 64),
        (1, 9, 32), (9, 1, 20), (2, 2, 1), (4, 11, 1536), (19, 19, 1024), (7, 10, 33),
        (4, 16, 24), (3, 17, 16), (5, 22, 40), (2, 29, 7), (1, 40, 48),
    ]

    /// Runs both kernels on the same data; returns how many output bit patterns differ (and the first).
    static func compare(_ instructionSet: InstructionSet, input: [Float], shape: FeatureMapShape, kernel: [Float], rows: Range<Int>?,
                        relu: Bool, nanIsNaN: Bool = false, context: ComputeContext = .allCores) -> (count: Int, first: String) {
        let n = (rows?.count ?? shape.height) * shape.width * shape.channels
        var fast = [Float](repeating: .nan, count: n), portable = [Float](repeating: .nan, count: n)
        input.withUnsafeBufferPointer { i in
            kernel.withUnsafeBufferPointer { k in
                fast.withUnsafeMutableBufferPointer { o in
                    depthwiseConvolution3x3(input: i.baseAddress!, shape: shape, kernel: k.baseAddress!,
                                            outputRows: rows, output: o.baseAddress!, reluInput: relu,
                                            instructionSet: instructionSet, context: context)
                }
                portable.withUnsafeMutableBufferPointer { o in
                    depthwiseConvolution3x3Portable(input: i.baseAddress!, shape: shape, kernel: k.baseAddress!,
                                                    outputRows: rows, output: o.baseAddress!, reluInput: relu, context: context)
                }
            }
        }
        var count = 0, first = ""
        for j in 0..<n where fast[j].bitPattern != portable[j].bitPattern {
            if nanIsNaN && fast[j].isNaN && portable[j].isNaN { continue }
            if count == 0 { first = "index \(j): \(fast[j]) vs \(portable[j])" }
            count += 1
        }
        return (count, first)
    }

    @Test(.needsAVX512Kernels, arguments: shapes.indices, [false, true])
    func avx512MatchesPortableBitForBit(_ i: Int, _ relu: Bool) { Self.checkShape(.avx512, i, relu) }

    @Test(.needsAVX2Kernels, arguments: shapes.indices, [false, true])
    func avx2MatchesPortableBitForBit(_ i: Int, _ relu: Bool) { Self.checkShape(.avx2, i, relu) }

    static func checkShape(_ instructionSet: InstructionSet, _ i: Int, _ relu: Bool) {
        let s = Self.shapes[i]
        var rng = Rng(state: UInt64(i * 2 + (relu ? 1 : 0) + 1))
        let shape = FeatureMapShape(height: s.h, width: s.w, channels: s.c)
        let input = rng.array(shape.count), kernel = rng.array(9 * s.c)
        let r = Self.compare(instructionSet, input: input, shape: shape, kernel: kernel, rows: nil, relu: relu)
        #expect(r.count == 0, "\(instructionSet) \(shape) relu \(relu): \(r.count) outputs differ, first \(r.first)")
        // One thread: a single call covering every row.
        let serial = Self.compare(instructionSet, input: input, shape: shape, kernel: kernel, rows: nil, relu: relu, context: .serial)
        #expect(serial.count == 0, "\(instructionSet) \(shape) relu \(relu), serial: first \(serial.first)")
    }

    /// Bands of rows, as `SeparableConvolution2D` computes them: written from the output's first row.
    static let bands = [(6, 2..<4), (6, 0..<1), (6, 5..<6), (6, 1..<5), (9, 3..<9), (2, 1..<2), (6, 3..<3)]

    @Test(.needsAVX512Kernels, arguments: bands)
    func avx512RowBandsMatchPortable(_ height: Int, _ rows: Range<Int>) { Self.checkBand(.avx512, height, rows) }

    @Test(.needsAVX2Kernels, arguments: bands)
    func avx2RowBandsMatchPortable(_ height: Int, _ rows: Range<Int>) { Self.checkBand(.avx2, height, rows) }

    static func checkBand(_ instructionSet: InstructionSet, _ height: Int, _ rows: Range<Int>) {
        var rng = Rng(state: UInt64(height * 100 + rows.lowerBound * 10 + rows.upperBound))
        let shape = FeatureMapShape(height: height, width: 5, channels: 40)
        let input = rng.array(shape.count), kernel = rng.array(9 * shape.channels)
        for relu in [false, true] {
            let r = Self.compare(instructionSet, input: input, shape: shape, kernel: kernel, rows: rows, relu: relu)
            #expect(r.count == 0, "\(instructionSet) rows \(rows) relu \(relu): first \(r.first)")
        }
    }

    /// Negative inputs only (ReLU turns the map into zeros), and signed zeros, infinities, NaN
    /// and subnormals: ReLU keeps NaN (Swift's `max(NaN, 0)` is NaN) and a -0 sum never appears.
    @Test(.needsAVX512Kernels) func avx512SpecialValuesMatchPortable() { Self.checkSpecialValues(.avx512) }

    @Test(.needsAVX2Kernels) func avx2SpecialValuesMatchPortable() { Self.checkSpecialValues(.avx2) }

    static func checkSpecialValues(_ instructionSet: InstructionSet) {
        var rng = Rng(state: 99)
        let shape = FeatureMapShape(height: 7, width: 9, channels: 24)
        let negative = rng.array(shape.count).map { -abs($0) - 0.001 }
        let kernel = rng.array(9 * shape.channels)
        for relu in [false, true] {
            let r = Self.compare(instructionSet, input: negative, shape: shape, kernel: kernel, rows: nil, relu: relu)
            #expect(r.count == 0, "\(instructionSet) negative inputs, relu \(relu): first \(r.first)")
        }
        let specials: [Float] = [0, -0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude,
                                 -.leastNonzeroMagnitude, .greatestFiniteMagnitude, -1, 1]
        let input = (0..<shape.count).map { j in j % 3 == 0 ? specials[(j / 3) % specials.count] : rng.next() }
        var zeroKernel = kernel
        for j in stride(from: 0, to: zeroKernel.count, by: 5) { zeroKernel[j] = j % 2 == 0 ? 0 : -0.0 }
        for k in [kernel, zeroKernel] {
            for relu in [false, true] {
                // NaN payloads may depend on operand order; every NaN must still be NaN in both.
                let r = Self.compare(instructionSet, input: input, shape: shape, kernel: k, rows: nil, relu: relu, nanIsNaN: true)
                #expect(r.count == 0, "\(instructionSet) special values, relu \(relu): first \(r.first)")
            }
        }
    }
}
