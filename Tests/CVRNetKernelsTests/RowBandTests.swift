@testable import CVRNetKernels
import TestSupport
import Testing

/// Layers run on a band of rows, reading a copy of only the input rows that band needs (as
/// Xception's banded down-sampling blocks run them), give the same rows as the whole-map run,
/// bit for bit. The copy is its own allocation, so a read outside it is an AddressSanitizer
/// error under tools/sanitize.sh.
struct RowBandTests {
    typealias Rng = SeededRandomFloats

    /// Output-row bands of a 9-row map: first and last rows, the middle, all, none.
    static let bands: [Range<Int>] = [0..<1, 0..<3, 2..<5, 4..<9, 8..<9, 0..<9, 5..<5]

    static func rows(_ map: [Float], _ r: Range<Int>, rowFloats: Int) -> [Float] {
        Array(map[r.lowerBound * rowFloats..<r.upperBound * rowFloats])
    }

    static func bits(_ a: [Float]) -> [UInt32] { a.map(\.bitPattern) }

    /// A 3x3 'same' band reads one more row on each side, where the map has them.
    static func inputRows(for rows: Range<Int>, height: Int) -> Range<Int> {
        max(0, rows.lowerBound - 1)..<min(height, rows.upperBound + 1)
    }

    @Test(arguments: bands, [false, true])
    func depthwiseBandEqualsWholeMapRows(rows: Range<Int>, relu: Bool) {
        var rng = Rng(state: UInt64(rows.lowerBound * 10 + rows.upperBound + (relu ? 100 : 0)))
        let shape = FeatureMapShape(height: 9, width: 13, channels: 40)
        let rowFloats = shape.width * shape.channels
        let input = rng.array(shape.count), kernel = rng.array(9 * shape.channels)
        let inRows = Self.inputRows(for: rows, height: shape.height)
        let band = Self.rows(input, inRows, rowFloats: rowFloats)
        // The dispatching kernel (AVX-512 or AVX2 where available) and the portable one.
        for portable in [false, true] {
            var whole = [Float](repeating: .nan, count: shape.count)
            var part = [Float](repeating: .nan, count: rows.count * rowFloats)
            func run(_ input: [Float], _ first: Int, _ rows: Range<Int>?, _ output: UnsafeMutablePointer<Float>) {
                if portable {
                    depthwiseConvolution3x3Portable(input: input, shape: shape, inputFirstRow: first, kernel: kernel,
                                                    outputRows: rows, output: output, reluInput: relu, context: .allCores)
                } else {
                    depthwiseConvolution3x3(input: input, shape: shape, inputFirstRow: first, kernel: kernel,
                                            outputRows: rows, output: output, reluInput: relu, context: .allCores)
                }
            }
            run(input, 0, nil, &whole)
            if !rows.isEmpty { run(band, inRows.lowerBound, rows, &part) }
            #expect(Self.bits(part) == Self.bits(Self.rows(whole, rows, rowFloats: rowFloats)),
                    "rows \(rows) relu \(relu) portable \(portable)")
        }
    }

    /// SepConv on a map as wide as the banded Xception blocks' (at least
    /// `SeparableConvolution2D.rowCallMinimumWidth`): bit-identical on both kernel paths, since
    /// the portable path makes the same OpenBLAS call for every map row whatever the band.
    @Test(arguments: bands)
    func separableBandEqualsWholeMapRows(rows: Range<Int>) {
        Self.checkSeparableBand(rows: rows, width: SeparableConvolution2D.rowCallMinimumWidth + 1)
    }

    /// On a narrow map the portable path makes one OpenBLAS call per band, whose rows OpenBLAS
    /// may compute with other edge kernels than the whole map's (seen on Intel CPUs that Debian's
    /// OpenBLAS 0.3.21 runs with its Haswell or Prescott kernels). cvrnet never runs such a map
    /// in bands; cvrnet's packed GEMM (AVX-512 or AVX2) gives every row the same arithmetic
    /// whatever the band.
    @Test(.needsPackedKernels, arguments: bands)
    func separableBandEqualsWholeMapRowsOnNarrowMaps(rows: Range<Int>) {
        Self.checkSeparableBand(rows: rows, width: 11)
    }

    static func checkSeparableBand(rows: Range<Int>, width: Int) {
        var rng = Rng(state: UInt64(rows.lowerBound * 10 + rows.upperBound + 1000))
        let shape = FeatureMapShape(height: 9, width: width, channels: 24)
        let cout = 40
        let sep = SeparableConvolution2D(inputChannels: shape.channels, outputChannels: cout)
        sep.depthwiseKernel.buffer.update(fromContentsOf: rng.array(9 * shape.channels))
        sep.pointwise.kernel.buffer.update(fromContentsOf: rng.array(shape.channels * cout))
        sep.pointwise.bias.buffer.update(fromContentsOf: rng.array(cout))
        sep.pointwise.packForInference()
        let input = rng.array(shape.count)
        let inRows = Self.inputRows(for: rows, height: shape.height)
        let band = Self.rows(input, inRows, rowFloats: shape.width * shape.channels)
        let scratch = FloatBuffer(count: sep.scratchCount(for: shape))
        let whole = FloatBuffer(count: shape.height * shape.width * cout)
        let part = FloatBuffer(count: max(1, rows.count * shape.width * cout))
        sep.forward(input: input, shape: shape, reluInput: true, scratch: scratch.pointer, output: whole.pointer, activation: .relu, context: .allCores)
        sep.forward(input: band, shape: shape, inputFirstRow: inRows.lowerBound, reluInput: true, scratch: scratch.pointer,
                    outputRows: rows, output: part.pointer, activation: .relu, context: .allCores)
        let expected = Self.rows(whole.array, rows, rowFloats: shape.width * cout)
        let got = Array(part.array.prefix(expected.count))
        let differing = zip(Self.bits(got), Self.bits(expected)).filter { $0 != $1 }.count
        #expect(differing == 0, "rows \(rows) width \(width): \(differing) of \(expected.count) values differ")
    }

    /// Xception's pooling: 3x3, stride 2, TensorFlow 'same' (odd and even heights).
    @Test(arguments: [9, 10], [0..<1, 1..<3, 2..<5, 0..<5, 4..<5])
    func maxPoolingBandEqualsWholeMapRows(height: Int, rows: Range<Int>) {
        var rng = Rng(state: UInt64(height * 100 + rows.lowerBound * 10 + rows.upperBound))
        let shape = FeatureMapShape(height: height, width: 7, channels: 20)
        let pad = Padding2D.tensorflowSame(input: (shape.height, shape.width), kernel: (3, 3), stride: (2, 2))
        let window = WindowGeometry(kernel: 3, stride: 2, padding: pad)
        let (oh, ow) = window.outputSize(height: shape.height, width: shape.width)
        let input = rng.array(shape.count)
        let inRows = max(0, rows.lowerBound * 2 - pad.top)..<min(shape.height, (rows.upperBound - 1) * 2 - pad.top + 3)
        let band = Self.rows(input, inRows, rowFloats: shape.width * shape.channels)
        var whole = [Float](repeating: .nan, count: oh * ow * shape.channels)
        var part = [Float](repeating: .nan, count: rows.count * ow * shape.channels)
        maxPooling2D(input: input, shape: shape, window: window, padValue: .ignored, output: &whole, context: .allCores)
        maxPooling2D(input: band, shape: shape, inputFirstRow: inRows.lowerBound, window: window, padValue: .ignored,
                     outputRows: rows, output: &part, context: .allCores)
        #expect(Self.bits(part) == Self.bits(Self.rows(whole, rows, rowFloats: ow * shape.channels)), "height \(height) rows \(rows)")
    }
}
