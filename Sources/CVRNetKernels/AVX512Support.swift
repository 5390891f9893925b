import CAVX512Kernels

/// Whether this CPU runs the AVX-512 kernels of `CAVX512Kernels` (checked once per process).
///
/// Kernels with an AVX-512 version use it when it is available and fall back to their portable
/// Swift/OpenBLAS code otherwise; tests compare the two.
enum AVX512 {
    static let isAvailable: Bool = cvrnet_avx512_available() != 0
}
