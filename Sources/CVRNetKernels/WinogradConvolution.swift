import CAVX512Kernels

/// 3x3 stride-1 convolutions by Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray 2016) on
/// cvrnet's AVX-512 or AVX2 kernels: 16 multiplies per 2x2 output tile and channel pair instead of 36.
///
/// Per band of tile rows: input transform `V = Bᵀ d B` (exact additions), 16 GEMMs
/// `M_p = V_p U_p` with the packed-weight GEMM, output transform `Y = Aᵀ M A` plus bias and
/// activation. `U = G g Gᵀ` is computed once at load, in double precision. Keras computes the
/// same convolution directly; the results differ only by float rounding (the parity tests bound it).
enum WinogradConvolution {
    /// Outputs smaller than this on a side are left to the direct GEMM: ResNet50's stages 2-4
    /// (56, 28 and 14 wide) use Winograd, stage 5 (7x7) has too many partial tiles to gain.
    /// Stage 4's transformed weights take 16/9 of its 14 MB (11 MB more); Xception's banded
    /// down-sampling blocks (`DownsamplingBands`) free more than that from every workspace.
    static let minimumOutputSize = 14

    /// Tile rows per band are chosen so a band's transformed input and output (16 positions
    /// each) fit in 1 MB: they stay in cache between the transforms and the GEMMs.
    static let bandFloats = 1 << 18

    /// A 3x3 stride-1 convolution (any padding) with at most `zeroBias.count` output channels.
    static func isEligible(_ conv: Convolution2D) -> Bool {
        let w = conv.window
        return w.kernelHeight == 3 && w.kernelWidth == 3 && w.strideHeight == 1 && w.strideWidth == 1
            && conv.outputChannels <= zeroBias.count
    }

    /// Whether `Convolution2D.packForInference` chooses Winograd for `conv` on maps of `input`.
    static func applies(to conv: Convolution2D, input: FeatureMapShape) -> Bool {
        guard isEligible(conv) else { return false }
        let out = conv.outputShape(for: input)
        return out.height >= minimumOutputSize && out.width >= minimumOutputSize
    }

    /// `U`: 16 matrices `inputChannels x outputChannels`, each packed for `instructionSet`'s
    /// `PackedMatrixMultiply`.
    static func transformKernel(of conv: Convolution2D, for instructionSet: InstructionSet) -> FloatBuffer {
        let cin = conv.inputChannels, cout = conv.outputChannels
        let u = FloatBuffer(count: 16 * cin * cout)
        cvrnet_winograd_f2x2_kernel_transform(conv.kernel.pointer, cin, cout, u.pointer)
        for p in 0..<16 { PackedMatrixMultiply.pack(u.pointer + p * cin * cout, k: cin, n: cout, for: instructionSet) }
        return u
    }

    typealias InputTransform = @convention(c) (UnsafePointer<Float>?, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int,
                                               UnsafeMutablePointer<Float>?) -> Void
    typealias OutputTransform = @convention(c) (UnsafePointer<Float>?, Int, Int, Int, Int, Int, Int, Int, Int,
                                                UnsafePointer<Float>?, Int32, UnsafeMutablePointer<Float>?) -> Void

    /// The data transforms of `instructionSet` (both versions give the same bits).
    static func transforms(_ instructionSet: InstructionSet) -> (input: InputTransform, output: OutputTransform) {
        switch instructionSet {
        case .avx512: (cvrnet_winograd_f2x2_input_transform, cvrnet_winograd_f2x2_output_transform)
        case .avx2: (cvrnet_avx2_winograd_f2x2_input_transform, cvrnet_avx2_winograd_f2x2_output_transform)
        case .portable: preconditionFailure("the portable path has no Winograd kernels")
        }
    }

    private static func tiles(_ out: FeatureMapShape) -> (rows: Int, columns: Int) {
        ((out.height + 1) / 2, (out.width + 1) / 2)
    }

    private static func bandTileRows(_ conv: Convolution2D, _ out: FeatureMapShape) -> Int {
        let perTileRow = 16 * tiles(out).columns * (conv.inputChannels + conv.outputChannels)
        return max(1, min(tiles(out).rows, bandFloats / perTileRow))
    }

    static func scratchCount(_ conv: Convolution2D, for shape: FeatureMapShape) -> Int {
        let out = conv.outputShape(for: shape)
        return 16 * bandTileRows(conv, out) * tiles(out).columns * (conv.inputChannels + conv.outputChannels)
    }

    static func forward(_ conv: Convolution2D, input: UnsafePointer<Float>, inputShape: FeatureMapShape,
                        output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>, activation: Activation,
                        context: ComputeContext) {
        let out = conv.outputShape(for: inputShape)
        let (tileRows, tilesX) = tiles(out)
        let band = bandTileRows(conv, out)
        let cin = conv.inputChannels, cout = conv.outputChannels
        let instructionSet = conv.variant.instructionSet
        let gemm = PackedMatrixMultiply.kernel(instructionSet)
        let (inputTransform, outputTransform) = transforms(instructionSet)
        let panels = gemm.panels(cout)
        let pad = conv.window.padding
        let u = UnsafePointer(conv.kernel.pointer), bias = UnsafePointer(conv.bias.pointer)
        let noBias = UnsafePointer(zeroBias.pointer)
        let relu: Int32 = activation == .relu ? 1 : 0
        var ty0 = 0
        while ty0 < tileRows {
            let ty1 = min(tileRows, ty0 + band)
            let bandTiles = (ty1 - ty0) * tilesX
            let v = scratch, m = scratch + 16 * bandTiles * cin
            context.parallelChunks(ty1 - ty0) { rows in
                inputTransform(input, inputShape.height, inputShape.width, cin, pad.top, pad.left,
                               tilesX, ty0 + rows.lowerBound, ty0 + rows.upperBound, ty0, bandTiles, v)
            }
            // The 16 products are independent; each runs whole on one core.
            context.parallelChunks(16) { positions in
                for p in positions {
                    gemm.gemm(0, bandTiles, 0, panels, cout, cin, v + p * bandTiles * cin, cin,
                              u + p * cin * cout, m + p * bandTiles * cout, cout, noBias, 0, 0)
                }
            }
            context.parallelChunks(ty1 - ty0) { rows in
                outputTransform(m, out.height, out.width, cout, tilesX, ty0 + rows.lowerBound,
                                ty0 + rows.upperBound, ty0, bandTiles, bias, relu, output)
            }
            ty0 = ty1
        }
    }

    /// Zero biases for the GEMMs (the real bias is added after the output transform).
    private static let zeroBias = FloatBuffer(count: 4096)
}

extension Convolution2D {
    func winogradScratchCount(for shape: FeatureMapShape) -> Int {
        WinogradConvolution.scratchCount(self, for: shape)
    }
}
