import CAVX512Kernels
import Foundation

/// Whether this process runs the AVX-512 kernels of `CAVX512Kernels` (decided once).
///
/// Kernels with an AVX-512 version use it when the CPU has it and fall back to their portable
/// Swift/OpenBLAS code otherwise. Setting `CVRNET_PORTABLE_KERNELS=1` in the environment forces
/// the portable code on any CPU, so the test suite can check that path against Keras too.
enum AVX512 {
    static let isAvailable: Bool =
        cvrnet_avx512_available() != 0 && ProcessInfo.processInfo.environment["CVRNET_PORTABLE_KERNELS"] != "1"
}
