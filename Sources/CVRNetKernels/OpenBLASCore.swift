import CAVX512Kernels
import COpenBLAS
import Foundation

/// Makes OpenBLAS run kernels that fit the CPU when it does not know the CPU.
///
/// OpenBLAS (built with DYNAMIC_ARCH, as Debian's is) picks its kernel set at load time from
/// the CPU's model number. Debian 12's OpenBLAS 0.3.21 predates Sapphire and Emerald Rapids and
/// falls back to its SSE3 "Prescott" kernels there: sgemm on one core measured 10.2 GFLOP/s
/// against 58.9 GFLOP/s with its "SkylakeX" kernels on the same Xeon, and the portable path
/// ran 3.8x slower. When OpenBLAS picked a kernel set without AVX2 on a CPU that has AVX2 and
/// FMA (or AVX-512F/BW/VL), cvrnet has it load the set those features call for ("Haswell" or
/// "SkylakeX"), through OpenBLAS's own re-initialisation (`gotoblas_dynamic_quit` and
/// `gotoblas_dynamic_init`, which honour `OPENBLAS_CORETYPE`). It does nothing when the user set
/// `OPENBLAS_CORETYPE`, when OpenBLAS's choice already uses AVX2, or when the library is not a
/// DYNAMIC_ARCH build. It runs once, before cvrnet's first OpenBLAS call (`prepare()`), so no
/// call ever sees the kernel table change under it.
public enum OpenBLASCore {
    /// What was changed: OpenBLAS's own choice and the one cvrnet made it load instead.
    public struct Replacement: Sendable, Equatable {
        public let pickedByOpenBLAS: String
        public let loaded: String
    }

    /// The replacement made in this process, if any (runs the selection if it has not run).
    public static var replacement: Replacement? { selection }

    /// Runs the selection once; every cvrnet entry into OpenBLAS calls this first.
    @inline(__always)
    static func prepare() { _ = selection }

    /// OpenBLAS's x86-64 kernel sets that use neither AVX2 nor AVX-512.
    static let setsWithoutAVX2: Set<String> = [
        "unknown", "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn",
        "dunnington", "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "sandybridge",
        "bobcat", "bulldozer", "piledriver", "steamroller", "excavator",
    ]

    /// The kernel set the CPU's features call for, or nil when OpenBLAS's choice should stand.
    static func betterSet(picked: String, features: UInt32) -> String? {
        guard setsWithoutAVX2.contains(picked.lowercased()) else { return nil }
        let avx512 = UInt32(CVRNET_CPU_AVX512F | CVRNET_CPU_AVX512BW | CVRNET_CPU_AVX512VL)
        let avx2 = UInt32(CVRNET_CPU_AVX2 | CVRNET_CPU_FMA)
        if features & avx512 == avx512 && features & avx2 == avx2 { return "SkylakeX" }
        if features & avx2 == avx2 { return "Haswell" }
        return nil
    }

    private static let selection: Replacement? = {
        #if arch(x86_64)
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              let name = openblas_get_corename() else { return nil }
        let picked = String(cString: name).trimmingCharacters(in: .whitespaces)
        guard let wanted = betterSet(picked: picked, features: cvrnet_cpu_features()),
              let quit = dlsym(nil, "gotoblas_dynamic_quit"), let initialise = dlsym(nil, "gotoblas_dynamic_init")
        else { return nil }
        typealias VoidFunction = @convention(c) () -> Void
        setenv("OPENBLAS_CORETYPE", wanted, 1)
        unsafeBitCast(quit, to: VoidFunction.self)()
        unsafeBitCast(initialise, to: VoidFunction.self)()
        unsetenv("OPENBLAS_CORETYPE")
        let loaded = openblas_get_corename().map { String(cString: $0).trimmingCharacters(in: .whitespaces) } ?? "unknown"
        return Replacement(pickedByOpenBLAS: picked, loaded: loaded)
        #else
        return nil
        #endif
    }()
}
