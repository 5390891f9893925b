import CAVX512Kernels
import Foundation

/// The vector instruction sets cvrnet has its own kernels for, and the one this process runs
/// (decided once, at start).
///
/// `.avx512` and `.avx2` run cvrnet's C kernels (`CAVX512Kernels`: the packed-weight GEMM,
/// Winograd F(2x2, 3x3), the depthwise 3x3 convolution); `.portable` runs im2col + OpenBLAS
/// and Swift loops, on any CPU. Setting `CVRNET_PORTABLE_KERNELS=1` in the environment forces
/// the portable code on any CPU, so the test suite can check that path against Keras too.
public enum InstructionSet: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    /// im2col + OpenBLAS sgemm, Swift loops.
    case portable
    /// AVX2 + FMA: 8-wide vectors, 16 registers (AMD Zen, Intel Haswell and later client cores).
    case avx2
    /// AVX-512F: 16-wide vectors, 32 registers.
    case avx512

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .portable: "portable"
        case .avx2: "AVX2 + FMA"
        case .avx512: "AVX-512"
        }
    }

    /// Whether this CPU and operating system can run the set's kernels (whatever the environment says).
    public var isSupportedByCPU: Bool {
        switch self {
        case .portable: true
        case .avx2: cvrnet_avx2_available() != 0
        case .avx512: cvrnet_avx512_available() != 0
        }
    }

    /// True when `CVRNET_PORTABLE_KERNELS=1` is set.
    public static let portableForced = ProcessInfo.processInfo.environment["CVRNET_PORTABLE_KERNELS"] == "1"

    /// Whether this process may run the set's kernels: the CPU supports them and the portable
    /// path is not forced. (Tests run the AVX2 kernels on AVX-512 CPUs too.)
    public var isRunnable: Bool { self == .portable || (isSupportedByCPU && !Self.portableForced) }

    /// The widest runnable set: what the layers of a model loaded by this process run
    /// (`ConvolutionKernel.choose`).
    public static let selected: InstructionSet = allCases.last { $0.isRunnable } ?? .portable
}
