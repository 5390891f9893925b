@testable import CVRNet
import CVRNetKernels
import TestSupport
import Testing

/// Xception's down-sampling blocks run over bands of rows (`DownsamplingBands`): the plan must
/// cover every pooled row with the rows it reads, and the banded block must give the whole-map
/// block's output bit for bit.
struct DownsamplingBandsTests {
    static func pool(height: Int, width: Int) -> WindowGeometry {
        WindowGeometry(kernel: 3, stride: 2,
                       padding: .tensorflowSame(input: (height, width), kernel: (3, 3), stride: (2, 2)))
    }

    @Test(arguments: [1, 2, 3, 4, 5, 10, 55, 109], [1, 2, 3, 8, 60])
    func planCoversEveryRowItReads(height: Int, perBand: Int) {
        let pool = Self.pool(height: height, width: height)
        let plan = DownsamplingBands(inputHeight: height, pool: pool, pooledRowsPerBand: perBand)
        let (pooledHeight, _) = pool.outputSize(height: height, width: height)
        #expect(plan.bands.flatMap { Array($0.pooled) } == Array(0..<pooledHeight))
        var previous: DownsamplingBands.Band?
        for band in plan.bands {
            #expect(band.pooled.count <= perBand)
            for p in band.pooled {
                let top = p * pool.strideHeight - pool.padding.top
                for r in max(0, top)..<min(height, top + pool.kernelHeight) {
                    #expect(band.second.contains(r), "pooled row \(p) reads row \(r), not in \(band.second)")
                }
            }
            for r in band.second {
                for read in max(0, r - 1)..<min(height, r + 2) {
                    #expect(band.first.contains(read), "row \(r) reads row \(read), not in \(band.first)")
                }
            }
            // RowWindow slides forward only.
            if let previous {
                #expect(band.first.lowerBound >= previous.first.lowerBound && band.second.lowerBound >= previous.second.lowerBound)
            }
            #expect(band.first.count <= plan.firstRows && band.second.count <= plan.secondRows)
            previous = band
        }
    }

    @Test func rowWindowKeepsTheRowsItHas() {
        let buffer = FloatBuffer(count: 5 * 2)
        var window = RowWindow(base: buffer.pointer, rowFloats: 2)
        #expect(window.slide(to: 0..<4) == 0..<4)
        for r in 0..<4 { window.pointer(row: r).update(repeating: Float(r), count: 2) }
        #expect(window.slide(to: 2..<5) == 4..<5)  // rows 2 and 3 kept, moved to the front
        window.pointer(row: 4).update(repeating: 4, count: 2)
        #expect(buffer.array.prefix(6) == [2, 2, 3, 3, 4, 4])
        #expect(window.slide(to: 7..<9) == 7..<9)  // nothing kept
    }

    /// (input height, width): odd and even, as blocks 2 (109) and 3 (55) have. Widths are at
    /// least `SeparableConvolution2D.rowCallMinimumWidth`, as those blocks' are: only then does
    /// the portable path promise bit-identical bands (one OpenBLAS call per map row).
    @Test(arguments: [(13, 49), (12, 50)], [1, 2, 3, 7])
    func bandedBlockEqualsWholeMapBlock(size: (Int, Int), perBand: Int) {
        let (height, width) = size
        var rng = SeededRandomFloats(state: UInt64(height * 10 + perBand))
        let shape = FeatureMapShape(height: height, width: width, channels: 8)
        let mid = 12, out = 16
        let first = SeparableConvolution2D(inputChannels: 8, outputChannels: mid)
        let second = SeparableConvolution2D(inputChannels: mid, outputChannels: out)
        for sep in [first, second] {
            sep.depthwiseKernel.buffer.update(fromContentsOf: rng.array(9 * sep.inputChannels))
            sep.pointwise.kernel.buffer.update(fromContentsOf: rng.array(sep.inputChannels * sep.outputChannels))
            sep.pointwise.bias.buffer.update(fromContentsOf: rng.array(sep.outputChannels))
            sep.pointwise.packForInference()
        }
        let pool = Self.pool(height: height, width: width)
        let rpad = Padding2D.tensorflowSame(input: (height, width), kernel: (1, 1), stride: (2, 2))
        let residual = Convolution2D(window: WindowGeometry(kernel: 1, stride: 2, padding: rpad), inputChannels: 8, outputChannels: out)
        residual.kernel.buffer.update(fromContentsOf: rng.array(8 * out))
        residual.packForInference()
        let plan = DownsamplingBands(inputHeight: height, pool: pool, pooledRowsPerBand: perBand)
        func block(_ bands: DownsamplingBands?) -> XceptionEncoder.DownsamplingBlock {
            XceptionEncoder.DownsamplingBlock(number: 2, reluInput: true, first: first, second: second, residual: residual,
                                              pool: pool, inputShape: shape, bands: bands)
        }
        let pooled = residual.outputShape(for: shape)
        let input = rng.array(shape.count)
        var results: [[UInt32]] = []
        for bands in [nil, plan] {
            let b = block(bands)
            let first = FloatBuffer(count: b.firstMapFloats), second = FloatBuffer(count: b.secondMapFloats)
            first.buffer.update(repeating: .nan)
            second.buffer.update(repeating: .nan)
            let scratch = FloatBuffer(count: b.scratchFloats)
            let output = FloatBuffer(count: pooled.count)
            b.forward(x: input, out: output.pointer, first: first.pointer, second: second.pointer, scratch: scratch.pointer,
                      context: ComputeContext(threads: 2)) { _, _ in }
            results.append(output.array.map(\.bitPattern))
        }
        let differing = zip(results[0], results[1]).filter { $0 != $1 }.count
        #expect(differing == 0, "\(differing) of \(pooled.count) outputs differ")
        #expect(!results[0].contains(Float.nan.bitPattern))
    }
}
