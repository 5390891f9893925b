@testable import CVRNetKernels
import Testing

extension Trait where Self == ConditionTrait {
    /// Tests of the AVX-512 kernels themselves: reported as skipped, with the reason, where this
    /// process cannot run them (a CPU without AVX-512, or `CVRNET_PORTABLE_KERNELS=1`).
    static var needsAVX512Kernels: Self {
        .enabled(if: InstructionSet.avx512.isRunnable, "the AVX-512 kernels do not run here (no AVX-512, or CVRNET_PORTABLE_KERNELS=1)")
    }

    /// Tests of the AVX2 + FMA kernels themselves (they run on AVX-512 CPUs too): skipped where
    /// the CPU lacks AVX2 or FMA, or with `CVRNET_PORTABLE_KERNELS=1`.
    static var needsAVX2Kernels: Self {
        .enabled(if: InstructionSet.avx2.isRunnable, "the AVX2 kernels do not run here (no AVX2 + FMA, or CVRNET_PORTABLE_KERNELS=1)")
    }

    /// Tests of what layers do on cvrnet's own kernels (whichever `InstructionSet.selected` is):
    /// skipped on the portable path.
    static var needsPackedKernels: Self {
        .enabled(if: InstructionSet.selected != .portable, "this process runs the portable kernels (im2col + OpenBLAS)")
    }
}
