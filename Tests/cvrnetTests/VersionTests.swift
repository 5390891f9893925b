import Foundation
import Testing
import TestSupport

/// `cvrnet --version` names the kernel path, the CPU's features and OpenBLAS's kernel choice, so
/// that a bug report says which arithmetic ran.
@Suite("cvrnet --version")
struct VersionTests {
    static var cpuHasAVX512: Bool {
        ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "").contains(" avx512f")
    }

    @Test("the forced portable path is reported as such, with OpenBLAS's core")
    func portableForced() throws {
        let result = try CLI.run(["--version"], environment: ["CVRNET_PORTABLE_KERNELS": "1", "OPENBLAS_CORETYPE": "Haswell"])
        #expect(result.status == 0, "\(result.summary)")
        let lines = result.stdoutLines
        #expect(lines.first == "cvrnet 0.1.0")
        let kernels = try #require(lines.first { $0.hasPrefix("kernels: ") }, "\(result.summary)")
        #expect(kernels.contains("portable"))
        #expect(kernels.contains("CVRNET_PORTABLE_KERNELS=1") == Self.cpuHasAVX512, "\(kernels)")
        let openblas = try #require(lines.first { $0.hasPrefix("openblas: core ") }, "\(result.summary)")
        #expect(openblas.contains("core Haswell"), "OPENBLAS_CORETYPE is honoured and reported: \(openblas)")
        #expect(openblas.contains("OPENBLAS_CORETYPE=Haswell"))
        let cpu = try #require(lines.first { $0.hasPrefix("cpu: ") })
        #expect(cpu.contains(" avx512f") == Self.cpuHasAVX512, "\(cpu)")
    }

    @Test("the default path follows the CPU (and CVRNET_PORTABLE_KERNELS, which the test run may set)")
    func defaultPath() throws {
        let result = try CLI.run(["--version"])
        #expect(result.status == 0, "\(result.summary)")
        let kernels = try #require(result.stdoutLines.first { $0.hasPrefix("kernels: ") }, "\(result.summary)")
        let forced = ProcessInfo.processInfo.environment["CVRNET_PORTABLE_KERNELS"] == "1"
        #expect(kernels.hasPrefix(Self.cpuHasAVX512 && !forced ? "kernels: AVX-512" : "kernels: portable"), "\(kernels)")
        // Debian's OpenBLAS 0.3.21 falls back to SSE3 kernels on CPUs newer than it; cvrnet
        // has it load the AVX2/AVX-512 ones instead, and says so.
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil && cpuinfo.contains(" avx2") && cpuinfo.contains(" fma") {
            let openblas = try #require(result.stdoutLines.first { $0.hasPrefix("openblas: core ") })
            #expect(!openblas.hasPrefix("openblas: core Prescott") && !openblas.hasPrefix("openblas: core Sandybridge"), "\(openblas)")
        }
    }
}
