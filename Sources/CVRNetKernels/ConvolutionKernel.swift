/// How one convolution layer computes: the kernel variant `Convolution2D.packForInference`
/// chooses once at load, from the instruction set this process runs, the layer's geometry and
/// the arithmetic the model asks for. `Convolution2D.forward` dispatches on it and nothing
/// else, so a new variant (a bf16 packed GEMM, say: `dataType: .bfloat16`) is one more case here
/// and in that switch, not a fork of the layer.
public struct ConvolutionKernel: Sendable, Equatable, CustomStringConvertible {
    /// How the layer's weights are laid out, which decides the algorithm.
    public enum Layout: Sendable, Equatable {
        /// HWIO as Keras stores it, `[kh * kw * cin, cout]`: im2col + a BLAS GEMM.
        case hwio
        /// Packed for cvrnet's GEMM of `instructionSet` (`PackedMatrixMultiply`), same size.
        case packed
        /// Winograd F(2x2, 3x3): 16 packed `cin x cout` matrices (`WinogradConvolution`), 16/9 of the size.
        case winogradF2x2
        /// bfloat16 pairs of k in panels of 32 columns (`cvrnet_bf16_pack_weights`), half the
        /// size: the AMX and AVX512_BF16 GEMMs (`BFloat16MatrixMultiply`).
        case packedBFloat16
    }

    /// The number type of the weights and of the sums. (For float32 and float64, `instructionSet`
    /// is `.portable` exactly when `layout` is `.hwio`: OpenBLAS runs the HWIO weights, cvrnet's
    /// kernels the packed ones.)
    public enum DataType: Sendable, Equatable {
        /// float32 weights and sums, as Keras computes every layer.
        case float32
        /// float64 weights and sums, rounded to float once (`DoubleAccumulation`): OpenBLAS dgemm
        /// on HWIO weights, or cvrnet's float64 kernel (AVX2 + FMA, also on AVX-512 CPUs) on packed ones.
        case float64
        /// bfloat16 weights and input, float32 sums (`Precision.bfloat16`), run by the kernel given.
        case bfloat16(BFloat16Kernel)
    }

    public let instructionSet: InstructionSet
    public let layout: Layout
    public let dataType: DataType

    public init(instructionSet: InstructionSet, layout: Layout, dataType: DataType) {
        if case .bfloat16(let kernel) = dataType {
            precondition(layout == (kernel.unit == nil ? (instructionSet == .portable ? .hwio : .packed) : .packedBFloat16),
                         "bfloat16 runs packed bf16 weights, or float32 ones rounded to bf16")
        } else {
            precondition((layout == .hwio) == (instructionSet == .portable), "cvrnet's vector kernels run packed weights, OpenBLAS HWIO")
            precondition(layout != .packedBFloat16, "bf16 weights need a bf16 kernel")
        }
        precondition(dataType == .float32 || layout != .winogradF2x2, "only float32 has a Winograd variant")
        self.instructionSet = instructionSet
        self.layout = layout
        self.dataType = dataType
    }

    /// As loaded, before `packForInference`: HWIO weights, run by OpenBLAS.
    static func unpacked(_ accumulation: Convolution2D.Accumulation) -> ConvolutionKernel {
        ConvolutionKernel(instructionSet: .portable, layout: .hwio, dataType: accumulation == .double ? .float64 : .float32)
    }

    /// The variant for `conv` on this process's instruction set (`InstructionSet.selected`):
    /// on the portable set every layer stays on HWIO weights (im2col + OpenBLAS sgemm, or dgemm
    /// for float64); otherwise float64 layers run the packed float64 GEMM, a 3x3 stride-1
    /// convolution on maps of `winogradInput` big enough (`WinogradConvolution.applies`) runs
    /// Winograd, and every other one the packed GEMM.
    ///
    /// With a `bfloat16` kernel every convolution runs it, whatever its geometry or accumulation
    /// (ResNet50's float64 stem included): `bfloat16(_:instructionSet:)`.
    static func choose(for conv: Convolution2D, winogradInput: FeatureMapShape?,
                       instructionSet: InstructionSet = .selected, bfloat16: BFloat16Kernel? = nil) -> ConvolutionKernel {
        if let bfloat16 { return Self.bfloat16(bfloat16, instructionSet: instructionSet) }
        if instructionSet == .portable { return unpacked(conv.accumulation) }
        if conv.accumulation == .double {
            return ConvolutionKernel(instructionSet: instructionSet, layout: .packed, dataType: .float64)
        }
        if let input = winogradInput, WinogradConvolution.applies(to: conv, input: input) {
            return ConvolutionKernel(instructionSet: instructionSet, layout: .winogradF2x2, dataType: .float32)
        }
        return ConvolutionKernel(instructionSet: instructionSet, layout: .packed, dataType: .float32)
    }

    /// The bfloat16 variant on `kernel`: packed bf16 weights, or, for
    /// `.roundedOperandsOnFloat32Kernels`, rounded float32 weights in `instructionSet`'s layout.
    static func bfloat16(_ kernel: BFloat16Kernel, instructionSet: InstructionSet = .selected) -> ConvolutionKernel {
        if kernel.unit != nil {
            return ConvolutionKernel(instructionSet: kernel.instructionSet, layout: .packedBFloat16, dataType: .bfloat16(kernel))
        }
        return ConvolutionKernel(instructionSet: instructionSet, layout: instructionSet == .portable ? .hwio : .packed,
                                 dataType: .bfloat16(kernel))
    }

    public var description: String {
        if case .bfloat16(let kernel) = dataType {
            return kernel.unit == nil ? "bf16 operands on float32 \(layout == .hwio ? "im2col + OpenBLAS" : "packed GEMM (\(instructionSet))")"
                : "bf16 packed GEMM (\(kernel))"
        }
        let data = dataType == .float32 ? "float32" : "float64"
        switch layout {
        case .hwio: return "\(data) im2col + OpenBLAS"
        case .packed where dataType == .float64: return "\(data) packed GEMM (AVX2 + FMA)"
        case .packed: return "\(data) packed GEMM (\(instructionSet))"
        case .winogradF2x2: return "\(data) Winograd F(2x2,3x3) (\(instructionSet))"
        case .packedBFloat16: preconditionFailure("bf16 layout without a bf16 data type")
        }
    }
}
