import CVRNetKernels

/// How an Xception down-sampling block runs over bands of rows instead of whole maps.
///
/// The block is SepConv → SepConv → MaxPool(3, stride 2). Run whole, its two SepConv maps are
/// the largest in the encoder (block 2: 109x109x128, 6 MB each) though only the pooled map
/// outlives the block. In bands, each band of pooled rows needs only the rows of the second
/// SepConv's map its pooling windows cover, and those need one more row on each side of the
/// first SepConv's map. Consecutive bands share a few of those rows: they are kept, moved to
/// the front of the buffer, never computed twice. Every element is computed by the same
/// arithmetic as in the whole-map run, so the results are bit-identical.
struct DownsamplingBands {
    /// One band: pooled output rows, and the rows of each SepConv map they need.
    struct Band {
        let pooled: Range<Int>
        let second: Range<Int>
        let first: Range<Int>
    }

    let bands: [Band]
    /// The most rows of each SepConv map held at once.
    let firstRows: Int
    let secondRows: Int

    /// Bands of `pooledRowsPerBand` pooled rows for a map `inputHeight` rows high.
    init(inputHeight: Int, pool: WindowGeometry, pooledRowsPerBand: Int) {
        let (pooledHeight, _) = pool.outputSize(height: inputHeight, width: 1)
        var bands: [Band] = []
        var p0 = 0
        while p0 < pooledHeight {
            let p1 = min(pooledHeight, p0 + max(1, pooledRowsPerBand))
            let second = max(0, p0 * pool.strideHeight - pool.padding.top)
                ..< min(inputHeight, (p1 - 1) * pool.strideHeight - pool.padding.top + pool.kernelHeight)
            // A 3x3 'same' depthwise convolution reads one row above and below.
            let first = max(0, second.lowerBound - 1)..<min(inputHeight, second.upperBound + 1)
            bands.append(Band(pooled: p0..<p1, second: second, first: first))
            p0 = p1
        }
        self.bands = bands
        firstRows = bands.map(\.first.count).max() ?? 0
        secondRows = bands.map(\.second.count).max() ?? 0
    }
}

/// A buffer holding consecutive rows of a feature map, slid forward band by band.
struct RowWindow {
    let base: UnsafeMutablePointer<Float>
    let rowFloats: Int
    /// The rows the buffer holds, from its start.
    private(set) var rows: Range<Int> = 0..<0

    init(base: UnsafeMutablePointer<Float>, rowFloats: Int) {
        self.base = base
        self.rowFloats = rowFloats
    }

    /// Makes the buffer hold `wanted` (which starts no earlier than the rows it holds): the rows
    /// it already has are moved to the front; returns the rows still to be computed.
    mutating func slide(to wanted: Range<Int>) -> Range<Int> {
        let keptEnd = min(wanted.upperBound, rows.upperBound)
        let kept = wanted.lowerBound..<max(wanted.lowerBound, keptEnd)
        precondition(kept.isEmpty || wanted.lowerBound >= rows.lowerBound, "bands move forward")
        if !kept.isEmpty && kept.lowerBound > rows.lowerBound {
            // Overlapping move: copyMemory is a memmove.
            UnsafeMutableRawPointer(base).copyMemory(from: pointer(row: kept.lowerBound),
                                                     byteCount: kept.count * rowFloats * MemoryLayout<Float>.stride)
        }
        rows = wanted
        return (kept.isEmpty ? wanted.lowerBound : kept.upperBound)..<wanted.upperBound
    }

    /// Where row `row` (one of `rows`) is.
    func pointer(row: Int) -> UnsafeMutablePointer<Float> {
        base + (row - rows.lowerBound) * rowFloats
    }
}
