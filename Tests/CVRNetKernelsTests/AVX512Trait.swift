@testable import CVRNetKernels
import Testing

extension Trait where Self == ConditionTrait {
    /// Tests of the AVX-512 kernels themselves: reported as skipped, with the reason, where this
    /// process runs the portable kernels (a CPU without AVX-512, or `CVRNET_PORTABLE_KERNELS=1`).
    static var needsAVX512Kernels: Self {
        .enabled(if: AVX512.isAvailable, "the AVX-512 kernels do not run here (no AVX-512, or CVRNET_PORTABLE_KERNELS=1)")
    }
}
