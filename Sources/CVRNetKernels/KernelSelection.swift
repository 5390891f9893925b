import CAVX512Kernels
import COpenBLAS
import Foundation

/// Which kernels this process runs, and on what CPU: what a bug report needs to say, since
/// results agree with Keras on every path but are bit-for-bit reproducible only within one
/// (see the README's "Determinism").
public struct KernelSelection: Sendable {
    /// The instruction set of the kernels convolutions run on (`InstructionSet.selected`):
    /// cvrnet's own AVX-512 or AVX2 kernels, or the portable path (im2col + OpenBLAS, Swift loops).
    public let instructionSet: InstructionSet
    /// True when convolutions run on cvrnet's own AVX-512 kernels.
    public var usesAVX512Kernels: Bool { instructionSet == .avx512 }
    /// True when `CVRNET_PORTABLE_KERNELS=1` forced the portable path on a CPU with AVX-512 or AVX2 + FMA.
    public let portableForced: Bool
    /// The CPU's features that matter to the kernels, e.g. `["avx2", "fma", "avx512f", ...]`.
    public let cpuFeatures: [String]
    /// The kernel set OpenBLAS chose for this CPU (`openblas_get_corename`), e.g. "Haswell".
    /// Debian 12's OpenBLAS 0.3.21 does not know CPUs newer than it (Sapphire Rapids and later
    /// pick "Prescott", its SSE3 kernels); `OPENBLAS_CORETYPE` overrides the choice.
    public let openBLASCore: String
    /// Set when OpenBLAS did not know this CPU and cvrnet had it load better kernels
    /// (`OpenBLASCore`): OpenBLAS's own choice and the set loaded instead.
    public let openBLASReplacement: OpenBLASCore.Replacement?
    /// OpenBLAS's build configuration (`openblas_get_config`).
    public let openBLASConfig: String

    /// This process's selection (fixed for its lifetime).
    public static let current = KernelSelection()

    private init() {
        openBLASReplacement = OpenBLASCore.replacement
        instructionSet = InstructionSet.selected
        let features = cvrnet_cpu_features()
        portableForced = instructionSet == .portable && InstructionSet.allCases.contains { $0 != .portable && $0.isSupportedByCPU }
        let names: [(Int, String)] = [
            (CVRNET_CPU_AVX2, "avx2"), (CVRNET_CPU_FMA, "fma"), (CVRNET_CPU_AVX512F, "avx512f"),
            (CVRNET_CPU_AVX512BW, "avx512bw"), (CVRNET_CPU_AVX512VL, "avx512vl"),
            (CVRNET_CPU_AVX512BF16, "avx512_bf16"), (CVRNET_CPU_AVX512FP16, "avx512_fp16"),
            (CVRNET_CPU_AMX_TILE, "amx_tile"), (CVRNET_CPU_AMX_BF16, "amx_bf16"), (CVRNET_CPU_AMX_INT8, "amx_int8"),
        ]
        cpuFeatures = names.filter { features & UInt32($0.0) != 0 }.map(\.1)
        openBLASCore = openblas_get_corename().map { String(cString: $0).trimmingCharacters(in: .whitespaces) } ?? "unknown"
        openBLASConfig = openblas_get_config().map { String(cString: $0).trimmingCharacters(in: .whitespaces) } ?? "unknown"
    }

    /// The CPU's model name from /proc/cpuinfo (Linux), or nil.
    public static var cpuModelName: String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// The kernel `--precision bf16` runs on (`BFloat16Kernel.available`), nil when this CPU has
    /// neither AMX-BF16 nor AVX512_BF16.
    public var bfloat16Kernel: BFloat16Kernel? { BFloat16Kernel.available }

    /// Lines for `cvrnet --version`: the kernel path, the bf16 kernel, the CPU and OpenBLAS's choice.
    public var reportLines: [String] {
        let path: String
        let own = "cvrnet's packed GEMM, Winograd F(2x2,3x3), depthwise 3x3; OpenBLAS for the rest"
        switch instructionSet {
        case .avx512:
            path = "AVX-512 (\(own))"
        case .avx2:
            path = "AVX2 + FMA (\(own)): this CPU has no AVX-512"
        case .portable where portableForced:
            path = "portable (im2col + OpenBLAS, Swift loops), forced by CVRNET_PORTABLE_KERNELS=1"
        case .portable:
            path = "portable (im2col + OpenBLAS, Swift loops): this CPU has neither AVX-512 nor AVX2 + FMA"
        }
        let bfloat16 = bfloat16Kernel.map { kernel in
            "bf16 (--precision bf16): \(kernel == .amx ? "AMX-BF16 tiles (TDPBF16PS)" : "AVX512_BF16 (VDPBF16PS)"), weights in bf16, sums in float32"
        } ?? "bf16 (--precision bf16): not available: this CPU has neither AMX-BF16 nor AVX512_BF16"
        return [
            "kernels: \(path)",
            bfloat16,
            "cpu: \(Self.cpuModelName ?? "unknown"); features: \(cpuFeatures.isEmpty ? "none of interest" : cpuFeatures.joined(separator: " "))",
            "openblas: core \(openBLASCore) (\(openBLASConfig))"
                + (ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].map { ", OPENBLAS_CORETYPE=\($0)" } ?? "")
                + (openBLASReplacement.map { r in
                    ", loaded by cvrnet: OpenBLAS picked \(r.pickedByOpenBLAS), which does not use this CPU's AVX2/AVX-512" } ?? ""),
        ]
    }
}
