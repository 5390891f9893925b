import CAVX512Kernels
@testable import CVRNetKernels
import Foundation
import Testing

/// OpenBLAS's kernel set is replaced only when it ignores the CPU's AVX2/AVX-512.
struct OpenBLASCoreTests {
    static let avx2 = UInt32(CVRNET_CPU_AVX2 | CVRNET_CPU_FMA)
    static let avx512 = avx2 | UInt32(CVRNET_CPU_AVX512F | CVRNET_CPU_AVX512BW | CVRNET_CPU_AVX512VL)

    @Test func olderSetsAreReplacedByWhatTheFeaturesCallFor() {
        #expect(OpenBLASCore.betterSet(picked: "Prescott", features: Self.avx512) == "SkylakeX")
        #expect(OpenBLASCore.betterSet(picked: "Prescott", features: Self.avx2) == "Haswell")
        #expect(OpenBLASCore.betterSet(picked: "Sandybridge", features: Self.avx2) == "Haswell")
        #expect(OpenBLASCore.betterSet(picked: "Unknown", features: Self.avx512) == "SkylakeX")
    }

    @Test func choicesThatUseAVX2OrCPUsWithoutItAreLeftAlone() {
        #expect(OpenBLASCore.betterSet(picked: "Haswell", features: Self.avx512) == nil)
        #expect(OpenBLASCore.betterSet(picked: "Zen", features: Self.avx512) == nil)
        #expect(OpenBLASCore.betterSet(picked: "SkylakeX", features: Self.avx512) == nil)
        #expect(OpenBLASCore.betterSet(picked: "Cooperlake", features: Self.avx512) == nil)
        #expect(OpenBLASCore.betterSet(picked: "Prescott", features: UInt32(CVRNET_CPU_AVX2)) == nil, "AVX2 without FMA")
        #expect(OpenBLASCore.betterSet(picked: "Prescott", features: 0) == nil)
    }

    /// In this process: unless the environment chose a set, OpenBLAS runs one that uses the CPU's
    /// AVX2 (or AVX-512) after cvrnet's first OpenBLAS call.
    @Test func theSetInUseFitsThisCPU() {
        MatrixMultiply.configureOpenBLAS()
        let features = cvrnet_cpu_features()
        let core = KernelSelection.current.openBLASCore
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil && features & Self.avx2 == Self.avx2 {
            #expect(!OpenBLASCore.setsWithoutAVX2.contains(core.lowercased()), "OpenBLAS runs \(core)")
        }
        if let replacement = OpenBLASCore.replacement {
            #expect(replacement.loaded == core)
            #expect(OpenBLASCore.setsWithoutAVX2.contains(replacement.pickedByOpenBLAS.lowercased()))
        }
    }
}
