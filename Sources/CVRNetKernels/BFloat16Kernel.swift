import CAVX512Kernels

/// Which code runs a convolution in bfloat16 (`Precision.bfloat16`).
///
/// Every case computes the same sums: the weights and the input rounded to bfloat16 (to nearest,
/// ties to even), each product of two bfloat16 values exact in float32, the products added in
/// float32. Only the order of the additions differs between them, which moves results by float32
/// rounding, far below bfloat16's own (8 significant bits against 24).
public enum BFloat16Kernel: Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// AMX: TDPBF16PS on 16 x 32 tiles (Intel Sapphire Rapids and later).
    case amx
    /// AVX512_BF16: VDPBF16PS on 16-lane vectors (AMD Zen 4, Intel Cooper Lake and later).
    case avx512bf16
    /// The `.amx` kernel's code with its AMX instructions carried out in C, on any CPU (slow): tests.
    case emulatedAMX
    /// The `.avx512bf16` kernel's code with its AVX-512 instructions carried out in C, on any CPU (slow): tests.
    case emulatedAVX512BF16
    /// The weights and the input rounded to bfloat16 values kept as float32, multiplied by this
    /// CPU's float32 GEMM: the same sums at float32 speed, so the tests can measure bfloat16's
    /// fidelity to Keras on any CPU. No speed or memory gain: never what a user gets.
    case roundedOperandsOnFloat32Kernels

    /// The kernel `--precision bf16` runs on this CPU: AMX where the CPU and the operating system
    /// support AMX-BF16 (Linux grants a process the tile state when asked, and cvrnet asks),
    /// else AVX512_BF16's VDPBF16PS, else nil: cvrnet does not emulate bfloat16 for users, where
    /// it would be slower than float32 and less faithful. Not affected by `CVRNET_PORTABLE_KERNELS`.
    public static let available: BFloat16Kernel? = {
        if cvrnet_bf16_unit_available(Int32(CVRNET_BF16_UNIT_AMX)) != 0 { return .amx }
        if cvrnet_bf16_unit_available(Int32(CVRNET_BF16_UNIT_AVX512)) != 0 { return .avx512bf16 }
        return nil
    }()

    /// Whether this process can run the kernel.
    public var isRunnable: Bool {
        switch self {
        case .amx: cvrnet_bf16_unit_available(Int32(CVRNET_BF16_UNIT_AMX)) != 0
        case .avx512bf16: cvrnet_bf16_unit_available(Int32(CVRNET_BF16_UNIT_AVX512)) != 0
        case .emulatedAMX, .emulatedAVX512BF16, .roundedOperandsOnFloat32Kernels: true
        }
    }

    /// The C kernel's unit and whether it is emulated; nil for the float32 kernels.
    var unit: (unit: Int32, emulated: Int32)? {
        switch self {
        case .amx: (Int32(CVRNET_BF16_UNIT_AMX), 0)
        case .avx512bf16: (Int32(CVRNET_BF16_UNIT_AVX512), 0)
        case .emulatedAMX: (Int32(CVRNET_BF16_UNIT_AMX), 1)
        case .emulatedAVX512BF16: (Int32(CVRNET_BF16_UNIT_AVX512), 1)
        case .roundedOperandsOnFloat32Kernels: nil
        }
    }

    /// The instruction set the rest of a bfloat16 layer (a SeparableConv2D's depthwise half) runs on.
    var instructionSet: InstructionSet {
        switch self {
        case .amx, .avx512bf16: .avx512
        case .emulatedAMX, .emulatedAVX512BF16: .portable
        case .roundedOperandsOnFloat32Kernels: .selected
        }
    }

    public var description: String {
        switch self {
        case .amx: "AMX-BF16"
        case .avx512bf16: "AVX512_BF16"
        case .emulatedAMX: "AMX-BF16, emulated"
        case .emulatedAVX512BF16: "AVX512_BF16, emulated"
        case .roundedOperandsOnFloat32Kernels: "bf16 operands on float32 kernels"
        }
    }

    /// `x` rounded to the nearest bfloat16 (ties to even), as a float: `cvrnet_bf16_round`'s
    /// rounding, inlined (the rounded-operand path rounds every input of every layer).
    @inlinable @inline(__always)
    public static func round(_ x: Float) -> Float {
        let u = x.bitPattern
        if u & 0x7FFF_FFFF > 0x7F80_0000 { return Float(bitPattern: (u | 0x0040_0000) & 0xFFFF_0000) }  // NaN stays NaN
        return Float(bitPattern: (u &+ 0x7FFF &+ ((u >> 16) & 1)) & 0xFFFF_0000)
    }
}
